package rdb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/reply"
	"github.com/statekit/statekit/ports"
)

// Wrap marks err as ports.ErrUnavailable when it is a failure to reach Redis (network, timeout, closed
// client, cluster down) rather than an error reply or a reply of the wrong shape (reply.ErrBadReply), and
// adds the operation name. nil stays nil.
func Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var redisErr redis.Error
	if errors.As(err, &redisErr) && !isClusterDown(redisErr) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, reply.ErrBadReply) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w: %w", op, ports.ErrUnavailable, err)
}

func isClusterDown(e redis.Error) bool {
	msg := e.Error()
	return strings.HasPrefix(msg, "CLUSTERDOWN") || strings.HasPrefix(msg, "TRYAGAIN") || strings.HasPrefix(msg, "LOADING") ||
		strings.HasPrefix(msg, "MOVED") || strings.HasPrefix(msg, "ASK") // slots moving: clients follow no redirect
}
