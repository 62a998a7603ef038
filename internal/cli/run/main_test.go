package run

import (
	"testing"

	"upshift.dev/upshift/internal/testenv/hub"
)

func TestMain(m *testing.M) { hub.Main(m) }
