package web

// OnDiagnosed tells a test whether each diagnosis ran to the end or
// stopped because the client went away.
func (s *Server) OnDiagnosed(f func(canceled bool)) { s.diagnosed = f }
