//go:build !linux

package main

import (
	"errors"
	"sync/atomic"
)

// defaultEngine is the ping-pong engine used unless -engine says otherwise.
const defaultEngine = engineGoroutines

// startEpoll is unavailable: the epoll engine needs Linux.
func startEpoll(cfg config, phase *atomic.Int32) (pingPongEngine, error) {
	return nil, errors.New("the epoll engine needs Linux")
}
