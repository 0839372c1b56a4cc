package main

import (
	"context"
	"fmt"

	"github.com/revisbali/worker/config"
)

func printURL(ctx context.Context, cfg config.Config, name string, s *streams) error {
	return fmt.Errorf("url %s: not built yet", name)
}
