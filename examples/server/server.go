package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authkit/authkit/account"
	"github.com/authkit/authkit/captcha"
	"github.com/authkit/authkit/devicebind"
	"github.com/authkit/authkit/mfa"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/oauth/oauthdev"
	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/ratelimit"
	"github.com/authkit/authkit/session"
	"github.com/authkit/authkit/session/stepup"
	"github.com/authkit/authkit/verification"
)

// server holds the composed library services and the HTTP routing. Build
// one with newServer and serve Handler().
type server struct {
	cfg    config
	log    *slog.Logger
	now    func() time.Time
	stores *storeSet

	codes       *verification.Service
	devOutbox   *devOutbox // development mode only
	mfa         *mfa.Service
	accounts    *account.Service
	devices     *devicebind.Service
	sessions    *session.Manager
	sessionMW   func(http.Handler) http.Handler
	sessionHTTP session.MiddlewareConfig // how requests carry tokens: extraction, Origin check, cookie
	steps       *stepup.Guard            // the step-up policy of the sensitive routes
	passkeys    *passkey.Service
	jwksHandler http.Handler
	captcha     captcha.Verifier   // nil when -captcha is not set
	oauth       *oauth.Flow        // nil when no provider is configured
	fakeOAuth   *oauthdev.Provider // the fake OAuth provider, -dev only

	ipLimits    map[string]ratelimit.Limiter
	corsOrigins map[string]bool
	ownOrigin   string // origin of the issuer URL

	api     *http.ServeMux      // routes under /api/v0/sdk/{env}, env stripped
	apiPath *http.ServeMux      // the same paths without methods, to tell 405 from 404
	allow   map[string][]string // path pattern → its methods
	handler http.Handler
	tasks   *backgroundTasks // the memory stores' sweeper; nil when none runs
}

// serverOptions are the parts of a server that tests replace.
type serverOptions struct {
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock of every service; nil = time.Now.
	Now func() time.Time
	// Stores are the stores to use; nil = in-memory stores.
	Stores *storeSet
	// HTTPClient is used for calls to OAuth providers; nil = a client with
	// a 10 s timeout.
	HTTPClient *http.Client
	// sweepTick, when set, replaces the sweeper's one-minute ticker.
	sweepTick <-chan time.Time
}

// newServer composes the services for cfg. cfg.Issuer must be set (run
// derives it from the listening address when -issuer is not given).
func newServer(ctx context.Context, cfg config, opt serverOptions) (*server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Issuer == "" {
		return nil, errors.New("issuer is required")
	}
	iss, err := url.Parse(cfg.Issuer)
	if err != nil || iss.Scheme == "" || iss.Host == "" {
		return nil, errors.New("-issuer: want an absolute URL")
	}
	s := &server{
		cfg:         cfg,
		log:         opt.Logger,
		now:         opt.Now,
		stores:      opt.Stores,
		corsOrigins: map[string]bool{},
		ownOrigin:   iss.Scheme + "://" + iss.Host,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.stores == nil {
		if s.stores, err = openStores(ctx, cfg); err != nil {
			return nil, err
		}
		defer func() {
			if s.handler == nil { // construction failed: release what we opened
				s.Close()
			}
		}()
	}
	for _, o := range cfg.CORSOrigins {
		s.corsOrigins[o] = true
	}
	rules, err := ratelimit.ParseRules(cfg.IPLimit)
	if err != nil {
		return nil, err
	}
	s.ipLimits = map[string]ratelimit.Limiter{}
	for name, rule := range rules {
		if !isIPLimitBucket(name) {
			return nil, &unknownLimitError{name}
		}
		if s.ipLimits[name], err = s.stores.Limits.Limiter(ratelimit.LimiterConfig{Name: "ip-" + name, Rule: rule}); err != nil {
			return nil, err
		}
	}
	if err := s.buildServices(ctx, opt); err != nil {
		return nil, err
	}
	s.routes()
	s.startSweeping(sweepInterval, opt.sweepTick)
	return s, nil
}

// Close stops the background sweeper and releases the stores.
func (s *server) Close() error {
	s.tasks.stop()
	if s.stores != nil && s.stores.Close != nil {
		return s.stores.Close()
	}
	return nil
}

// Handler is the whole HTTP interface of the server.
func (s *server) Handler() http.Handler { return s.handler }

// apiHandler is a handler that returns its error instead of writing it;
// handle turns the error into the answer of errors.go.
type apiHandler func(w http.ResponseWriter, r *http.Request) error

// handle adapts h to http.Handler.
func (s *server) handle(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := infoOf(r.Context())
		if ri.route == "" {
			ri.route = r.Pattern
		}
		if err := h(w, r); err != nil {
			ae := writeError(w, err)
			ri.errorCode = ae.Code
			if ae.Status >= 500 {
				s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
					slog.String("route", ri.route), slog.String("err", errString(ae.cause)))
			}
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// route is one entry of the API's route table.
type route struct {
	method, path string
	auth         authLevel
	h            apiHandler
}

// apiPrefix is where the environment's routes live.
const apiPrefix = "/api/v0/sdk/"

// routes builds the muxes: the API under /api/v0/sdk/{env}, the
// development routes, and JSON 404s for everything else.
func (s *server) routes() {
	s.api = http.NewServeMux()
	s.apiPath = http.NewServeMux()
	s.allow = map[string][]string{}
	for _, rt := range s.apiRoutes() {
		s.api.Handle(rt.method+" "+rt.path, s.authenticate(rt.auth, s.handle(s.guardCrossSite(rt))))
		if s.allow[rt.path] == nil {
			s.apiPath.Handle(rt.path, http.NotFoundHandler()) // only matched, never served
		}
		s.allow[rt.path] = append(s.allow[rt.path], rt.method)
	}
	s.api.Handle("/", s.handle(s.unmatched))

	root := http.NewServeMux()
	root.Handle(apiPrefix+"{env}/{rest...}", http.HandlerFunc(s.serveAPI))
	root.Handle(apiPrefix+"{env}", http.HandlerFunc(s.serveAPI))
	if h := s.relatedOriginsHandler(); h != nil {
		root.Handle("GET /.well-known/webauthn", h)
	}
	if s.cfg.Dev {
		s.devRoutes(root)
	}
	root.Handle("/", s.handle(func(http.ResponseWriter, *http.Request) error { return errNotFound() }))

	s.handler = s.logRequests(s.cors(limitBody(root)))
}

// serveAPI checks the environment id and hands the rest of the path to
// the API mux.
func (s *server) serveAPI(w http.ResponseWriter, r *http.Request) {
	env := r.PathValue("env")
	switch {
	case !isEnvironmentID(env):
		s.handle(func(http.ResponseWriter, *http.Request) error { return errValidation("Malformed environment id.") }).ServeHTTP(w, r)
		return
	case env != s.cfg.Env:
		s.handle(func(http.ResponseWriter, *http.Request) error { return errEnvironmentNotFound() }).ServeHTTP(w, r)
		return
	}
	// The request and its URL, copied in one allocation.
	c := &struct {
		r http.Request
		u url.URL
	}{r: *r, u: *r.URL}
	rest := r.PathValue("rest")
	if p := r.URL.Path; r.URL.RawPath == "" && len(p) > len(rest) && p[len(p)-len(rest)-1] == '/' && p[len(p)-len(rest):] == rest {
		c.u.Path = p[len(p)-len(rest)-1:] // "/" + rest, without building it
	} else {
		c.u.Path = "/" + rest
	}
	c.u.RawPath = ""
	c.r.URL = &c.u
	s.api.ServeHTTP(w, &c.r)
}

// unmatched answers a request no API route took: 405 when the path
// exists with other methods, 404 otherwise.
func (s *server) unmatched(w http.ResponseWriter, r *http.Request) error {
	infoOf(r.Context()).route = ""
	if _, pattern := s.apiPath.Handler(r); pattern != "" {
		w.Header().Set("Allow", strings.Join(s.allow[pattern], ", "))
		return errMethodNotAllowed()
	}
	return errNotFound()
}
