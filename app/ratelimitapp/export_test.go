package ratelimitapp

// SetSampler replaces the random source that picks which denials are published.
func (s *Service) SetSampler(f func() float64) { s.sample = f }
