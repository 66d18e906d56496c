package race_test

import (
	"errors"
	"fmt"
	"sync"

	"github.com/authkit/authkit/internal/race"
)

func Example() {
	var once sync.Once
	errUsed := errors.New("already used")
	errs := race.Run(16, func(int) error {
		err := errUsed
		once.Do(func() { err = nil })
		return err
	})
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		}
	}
	fmt.Println(wins)
	// Output: 1
}
