package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"riverqueue.com/riverui"

	"github.com/revisbali/worker/config"
)

// uiServer serves River's web UI (job lists, retry, cancel, delete, queue
// pause) on its own listener, so that the probes and metrics stay free of
// authentication and the UI can be left off.
type uiServer struct {
	server *http.Server
	stop   context.CancelFunc // stops the UI's background queries
	addr   string
}

// serveUI starts the UI when WORKER_UI_ADDR is set. It outlives the stop
// signal, so that operators can watch running jobs drain; close stops it.
func (d *daemon) serveUI(ctx context.Context) error {
	if !d.cfg.UI.Enabled() {
		return nil
	}
	ui, err := startUI(context.WithoutCancel(ctx), d.client, d.cfg.UI, d.logger)
	if err != nil {
		return err
	}
	d.ui = ui
	d.logger.Info("river ui started", slog.String("addr", ui.addr), slog.String("user", d.cfg.UI.User))
	if !d.cfg.UI.Loopback() {
		d.logger.Warn("river ui listens beyond loopback (WORKER_UI_PUBLIC=True): its password crosses the network in clear unless a TLS proxy is the only way in")
	}
	return nil
}

// startUI serves the UI on cfg.Addr behind basic auth. config.UI.validate
// has checked that the address is loopback (or WORKER_UI_PUBLIC=True) and
// that both credentials are set; the credentials are checked again here so
// that no code path serves it open.
func startUI(ctx context.Context, client *river.Client[pgx.Tx], cfg config.UI, logger *slog.Logger) (*uiServer, error) {
	if cfg.User == "" || cfg.Password == "" {
		return nil, errors.New("WORKER_UI_USER and WORKER_UI_PASSWORD must be set to serve the UI")
	}
	handler, err := newUIHandler(client, logger)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("WORKER_UI_ADDR: %w", err)
	}
	ctx, stop := context.WithCancel(ctx)
	if err := handler.Start(ctx); err != nil {
		stop()
		ln.Close()
		return nil, fmt.Errorf("river ui: %w", err)
	}
	u := &uiServer{
		server: &http.Server{
			Handler:           basicAuth(cfg.User, cfg.Password, handler),
			ReadHeaderTimeout: 5 * time.Second,
		},
		stop: stop,
		addr: ln.Addr().String(),
	}
	go func() {
		// The UI failing is no reason to stop working jobs: say so and go on.
		if err := u.server.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("river ui server", slog.String("error", err.Error()))
		}
	}()
	return u, nil
}

// newUIHandler is River's UI and its JSON API for the client's database,
// mounted at the root.
func newUIHandler(client *river.Client[pgx.Tx], logger *slog.Logger) (*riverui.Handler, error) {
	h, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(client, nil),
		Logger:    logger,
	})
	if err != nil {
		return nil, fmt.Errorf("river ui: %w", err)
	}
	return h, nil
}

func (u *uiServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = u.server.Shutdown(ctx)
	u.stop()
}

// basicAuth lets through requests carrying user and password. Both are
// compared as SHA-256 digests in constant time, so that neither their
// contents nor their lengths can be learnt from response times.
func basicAuth(user, password string, next http.Handler) http.Handler {
	wantUser, wantPassword := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		gotUser, gotPassword := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
		userOK := subtle.ConstantTimeCompare(gotUser[:], wantUser[:])
		passwordOK := subtle.ConstantTimeCompare(gotPassword[:], wantPassword[:])
		if !ok || userOK&passwordOK != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="worker", charset="UTF-8"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
