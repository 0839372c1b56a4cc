package mrzscan

import (
	"math/rand/v2"
	"testing"
)

// The fast running minimum and maximum agree with the obvious loop.
func TestMinMax1D(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 7, 50, 333} {
		for _, r := range []int{0, 1, 3, 7, 20} {
			src := make([]uint8, n)
			for i := range src {
				src[i] = uint8(rng.IntN(256))
			}
			for _, maximum := range []bool{false, true} {
				got := make([]uint8, n)
				minMax1D(src, got, r, maximum)
				for i := range n {
					want := src[max(0, i-r)]
					for _, v := range src[max(0, i-r):min(n, i+r+1)] {
						if (maximum && v > want) || (!maximum && v < want) {
							want = v
						}
					}
					if got[i] != want {
						t.Fatalf("n %d r %d max %v: [%d] = %d, want %d", n, r, maximum, i, got[i], want)
					}
				}
			}
		}
	}
}
