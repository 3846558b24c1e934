package rie

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/invoke"
)

// Pool defaults.
const (
	// DefaultIdleTimeout is how long a warm runtime may stay unused (the
	// default of local mode's flag).
	DefaultIdleTimeout = 10 * time.Minute
	// DefaultMaxWarm caps the warm runtimes when PoolOptions.MaxWarm is 0.
	DefaultMaxWarm = 50
)

// PoolOptions configure a Pool.
type PoolOptions struct {
	// Emulator and Bootstrap are the binaries every function runs (see Options).
	Emulator, Bootstrap string
	// LogDir receives one log file per function, <LogDir>/<name>.log, with
	// the emulator's and the function's output. Required.
	LogDir string
	// Console, when set, receives each function's own log lines prefixed
	// with "[<name>] "; the emulator's lines and START/END/REPORT are left
	// in the log file.
	Console io.Writer
	// IdleTimeout stops a runtime unused for that long; 0 never does.
	// Local mode's flag defaults to DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxWarm caps the runtimes running at once (default DefaultMaxWarm).
	// Starting one more first stops the least recently used idle one; when
	// every runtime is busy, the start waits for one to become idle.
	MaxWarm int
	// StartTimeout and LogLevel are passed to each emulator (see Options).
	StartTimeout time.Duration
	LogLevel     string
	// Logger receives cold starts, idle stops, evictions and restarts
	// (default: discarded).
	Logger *slog.Logger
	// Now is the clock for idle times (default time.Now); tests inject one.
	Now func() time.Time
}

// Pool runs Lambda runtimes on demand, as Lambda does: a function's emulator
// starts on its first invoke (a cold start, reported to the caller through
// invoke.ReportColdStart), stays warm while it is used, and is stopped after
// PoolOptions.IdleTimeout without use or when a start needs its place under
// PoolOptions.MaxWarm (least recently used first; a runtime in use is never
// stopped).
type Pool struct {
	o       PoolOptions
	logger  *slog.Logger
	console sync.Mutex // serializes the functions' console lines

	life      context.Context // ends at Close: aborts starts in progress
	endOfLife context.CancelFunc
	starts    sync.WaitGroup // starts in progress
	sweeper   chan struct{}  // closed at Close to end the idle sweeper

	mu        sync.Mutex
	functions map[string]*Function
	running   int           // warm runtimes plus starts in progress
	changed   chan struct{} // closed and replaced whenever a runtime may have become free
	closed    bool
	stats     PoolStats
}

// PoolStats are a pool's counters.
type PoolStats struct {
	Warm       int   // runtimes running now
	ColdStarts int64 // runtimes started
	IdleStops  int64 // runtimes stopped after IdleTimeout
	Evictions  int64 // runtimes stopped to make room under MaxWarm
	Restarts   int64 // dead emulators restarted (see Instance.Stats)
}

// Function is one function of a Pool. It implements the local ALB's
// Invoker: Invoke(ctx, payload) ([]byte, error).
type Function struct {
	pool *Pool
	name string
	env  map[string]string

	// Guarded by pool.mu.
	inst     *Instance
	starting chan struct{} // non-nil while a start is in progress; closed when it ends
	inUse    int           // invokes between acquire and release
	lastUsed time.Time
	restarts int64 // restarts of emulators already stopped
}

// NewPool returns an empty pool; runtimes start on demand.
func NewPool(o PoolOptions) (*Pool, error) {
	if o.Emulator == "" || o.Bootstrap == "" || o.LogDir == "" {
		return nil, errors.New("rie: PoolOptions.Emulator, Bootstrap and LogDir are required")
	}
	if o.IdleTimeout < 0 {
		return nil, fmt.Errorf("rie: PoolOptions.IdleTimeout %s is negative (0 disables idle stops)", o.IdleTimeout)
	}
	if o.MaxWarm < 0 {
		return nil, fmt.Errorf("rie: PoolOptions.MaxWarm %d is negative", o.MaxWarm)
	}
	if o.MaxWarm == 0 {
		o.MaxWarm = DefaultMaxWarm
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &Pool{o: o, logger: o.Logger, functions: map[string]*Function{}, changed: make(chan struct{}), sweeper: make(chan struct{})}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	p.life, p.endOfLife = context.WithCancel(context.Background())
	if o.IdleTimeout > 0 {
		go p.sweepEvery(min(max(o.IdleTimeout/10, time.Second), time.Minute))
	}
	return p, nil
}

// Function returns the function called name, with env as its environment
// (see Options.Env). Later calls with the same name return the same
// Function and ignore env.
func (p *Pool) Function(name string, env map[string]string) *Function {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.functions[name]
	if f == nil {
		f = &Function{pool: p, name: name, env: env}
		p.functions[name] = f
	}
	return f
}

// Name is the function's name.
func (f *Function) Name() string { return f.name }

// Invoke runs payload on the function's runtime, starting it first if it is
// cold; see Instance.Invoke for what is an error.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	inst, err := f.pool.acquire(ctx, f)
	if err != nil {
		return nil, err
	}
	defer f.pool.release(f)
	return inst.Invoke(ctx, payload)
}

// acquire returns f's warm runtime, starting it when there is none; the
// caller must release f.
func (p *Pool) acquire(ctx context.Context, f *Function) (*Instance, error) {
	p.mu.Lock()
	for {
		if p.closed {
			p.mu.Unlock()
			return nil, fmt.Errorf("rie: function %s: pool closed", f.name)
		}
		if f.inst != nil {
			f.inUse++
			f.lastUsed = p.o.Now()
			p.mu.Unlock()
			return f.inst, nil
		}
		var wait chan struct{}
		switch {
		case f.starting != nil:
			wait = f.starting // another request is starting it: start once
		case p.running >= p.o.MaxWarm:
			if victim := p.lruIdleLocked(); victim != nil {
				inst := p.detachLocked(victim)
				p.stats.Evictions++
				p.mu.Unlock()
				p.logger.Info("runtime stopped to make room", "function", victim.name, "for", f.name, "maxWarm", p.o.MaxWarm)
				_ = inst.Stop()
				p.mu.Lock()
				continue
			}
			wait = p.changed // every runtime is busy
		}
		if wait != nil {
			p.mu.Unlock()
			select {
			case <-wait:
			case <-ctx.Done():
				return nil, fmt.Errorf("rie: function %s: waiting for a runtime: %w", f.name, ctx.Err())
			}
			p.mu.Lock()
			continue
		}
		return p.startLocked(ctx, f)
	}
}

// startLocked starts f's runtime; it is called with p.mu held and returns
// with it released.
func (p *Pool) startLocked(ctx context.Context, f *Function) (*Instance, error) {
	f.starting = make(chan struct{})
	p.running++
	p.starts.Add(1)
	p.mu.Unlock()
	defer p.starts.Done()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(p.life, cancel) // Close aborts the start
	defer stop()
	began := time.Now()
	inst, err := Start(ctx, Options{
		Name: f.name, Emulator: p.o.Emulator, Bootstrap: p.o.Bootstrap, Env: f.env,
		LogFile: logFileName(p.o.LogDir, f.name), Stdout: p.consoleFor(f.name),
		StartTimeout: p.o.StartTimeout, LogLevel: p.o.LogLevel, Logger: p.logger,
	})
	took := time.Since(began)

	p.mu.Lock()
	close(f.starting)
	f.starting = nil
	if err == nil && p.closed {
		err = fmt.Errorf("rie: function %s: pool closed", f.name)
		defer func() { _ = inst.Stop() }()
	}
	if err != nil {
		p.running--
		p.notifyLocked()
		p.mu.Unlock()
		return nil, err
	}
	inst.onIdle = p.notify
	f.inst = inst
	f.inUse++
	f.lastUsed = p.o.Now()
	p.stats.ColdStarts++
	p.mu.Unlock()
	p.logger.Info("cold start", "function", f.name, "duration", took)
	invoke.ReportColdStart(ctx, took)
	return inst, nil
}

func (p *Pool) consoleFor(name string) io.Writer {
	if p.o.Console == nil {
		return nil
	}
	return &functionLines{prefix: []byte("[" + name + "] "), console: p.o.Console, mu: &p.console}
}

func (p *Pool) release(f *Function) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f.inUse--
	f.lastUsed = p.o.Now()
	p.notifyLocked()
}

func (p *Pool) notify() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notifyLocked()
}

func (p *Pool) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// idleLocked reports whether f has a runtime nobody is using (not even an
// invoke whose caller has gone).
func idleLocked(f *Function) bool {
	return f.inst != nil && f.inUse == 0 && !f.inst.Busy()
}

func (p *Pool) lruIdleLocked() *Function {
	var lru *Function
	for _, f := range p.functions {
		if idleLocked(f) && (lru == nil || f.lastUsed.Before(lru.lastUsed)) {
			lru = f
		}
	}
	return lru
}

// detachLocked takes f's runtime out of the pool; the caller stops it.
func (p *Pool) detachLocked(f *Function) *Instance {
	inst := f.inst
	f.inst = nil
	f.restarts += inst.Stats().Restarts
	p.running--
	p.notifyLocked()
	return inst
}

// SweepIdle stops the runtimes unused for IdleTimeout or longer (by the
// pool's clock) and returns how many it stopped. The pool sweeps by itself
// periodically; tests call it after moving their clock.
func (p *Pool) SweepIdle() int {
	if p.o.IdleTimeout <= 0 {
		return 0
	}
	p.mu.Lock()
	now := p.o.Now()
	var stop []*Instance
	for _, f := range p.functions {
		if idleLocked(f) && now.Sub(f.lastUsed) >= p.o.IdleTimeout {
			stop = append(stop, p.detachLocked(f))
			p.stats.IdleStops++
			p.logger.Info("runtime stopped after idle time", "function", f.name, "idle", now.Sub(f.lastUsed))
		}
	}
	p.mu.Unlock()
	stopAll(stop)
	return len(stop)
}

func (p *Pool) sweepEvery(d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.SweepIdle()
		case <-p.sweeper:
			return
		}
	}
}

// Stats returns the pool's counters.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.stats
	for _, f := range p.functions {
		st.Restarts += f.restarts
		if f.inst != nil {
			st.Warm++
			st.Restarts += f.inst.Stats().Restarts
		}
	}
	return st
}

// Close stops every runtime (and aborts starts in progress) and returns once
// none of their processes is left. Invokes still running fail.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.sweeper)
	var stop []*Instance
	for _, f := range p.functions {
		if f.inst != nil {
			stop = append(stop, p.detachLocked(f))
		}
	}
	p.notifyLocked()
	p.mu.Unlock()
	p.endOfLife()
	err := stopAll(stop)
	p.starts.Wait() // a start that was in progress stops its own runtime
	return err
}

// stopAll stops instances in parallel.
func stopAll(insts []*Instance) error {
	errs := make([]error, len(insts))
	var wg sync.WaitGroup
	for n, inst := range insts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[n] = inst.Stop()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
