package dataset

// Limits bound what one package may cost to load. Archives are hostile input:
// every reader enforces these while decompressing, not after.
type Limits struct {
	MaxFiles      int     // regular files kept per package
	MaxFileBytes  int64   // bytes of one file
	MaxTotalBytes int64   // uncompressed bytes of the whole archive stream
	MaxRatio      float64 // uncompressed / compressed bytes, checked once past RatioFloor
	RatioFloor    int64   // below this many uncompressed bytes the ratio is not checked
	MaxArchive    int64   // bytes of the archive file itself
}

// DefaultLimits are safe for the embedded dataset with a wide margin: its
// largest archive is 3.3 MB and its highest package ratio about 77.
func DefaultLimits() Limits {
	return Limits{
		MaxFiles:      20000,
		MaxFileBytes:  32 << 20,
		MaxTotalBytes: 512 << 20,
		MaxRatio:      200,
		RatioFloor:    8 << 20,
		MaxArchive:    256 << 20,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFiles <= 0 {
		l.MaxFiles = d.MaxFiles
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = d.MaxTotalBytes
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.RatioFloor <= 0 {
		l.RatioFloor = d.RatioFloor
	}
	if l.MaxArchive <= 0 {
		l.MaxArchive = d.MaxArchive
	}
	return l
}
