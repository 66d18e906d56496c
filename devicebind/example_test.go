package devicebind_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/authkit/authkit/devicebind"
)

// A server hands out nonces (GET nonces) and checks the proof on a
// device-bound route; a request without the headers is an unknown device.
func Example() {
	svc, err := devicebind.New(devicebind.Config{Store: devicebind.NewMemoryStore()})
	if err != nil {
		panic(err)
	}
	nonces, err := svc.Issue(context.Background(), 5)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(nonces), "nonces")

	r, _ := http.NewRequest("POST", "https://api.example.com/refresh", nil)
	dev, err := svc.VerifyRequest(context.Background(), r)
	fmt.Println(dev.Known(), err)

	r.Header.Set(devicebind.HeaderNonce, nonces[0])
	_, err = svc.VerifyRequest(context.Background(), r)
	fmt.Println(err)
	// Output:
	// 5 nonces
	// false <nil>
	// devicebind: invalid device proof: malformed: the device headers come in threes
}
