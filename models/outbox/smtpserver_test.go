package outbox_test

import (
	"bufio"
	"encoding/base64"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
)

// smtpServer is just enough of an SMTP server for the tests: EHLO/HELO,
// optional AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS. It keeps
// each accepted message's raw bytes (CRLF line ends, dots unstuffed).
type smtpServer struct {
	ln   net.Listener
	user string // non-empty: advertise AUTH PLAIN and require these credentials
	pass string // (both fixed before the server starts)

	mu        sync.Mutex
	rcptReply string // non-empty: the reply to RCPT TO
	dataReply string // non-empty: the reply after the message's final dot
	msgs      []smtpMessage
	dataTries int
	authTries int
}

type smtpMessage struct {
	From string
	To   []string
	Data []byte
}

// newSMTPServer listens on host; with user set it advertises AUTH PLAIN and
// requires user and pass.
func newSMTPServer(t *testing.T, host, user, pass string) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatalf("test SMTP server: %v", err)
	}
	s := &smtpServer{ln: ln, user: user, pass: pass}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); s.serve(c) }()
		}
	}()
	return s
}

func (s *smtpServer) Addr() string { return s.ln.Addr().String() }

func (s *smtpServer) set(rcpt, data string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcptReply, s.dataReply = rcpt, data
}

func (s *smtpServer) messages() []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMessage(nil), s.msgs...)
}

func (s *smtpServer) counts() (data, auth int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dataTries, s.authTries
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := textproto.NewWriter(bufio.NewWriter(c))
	reply := func(line string) { w.PrintfLine("%s", line) }
	reply("220 test.invalid ESMTP ready")
	var cur smtpMessage
	authed := s.user == ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			reply("250-test.invalid greets you")
			if s.user != "" {
				reply("250-AUTH PLAIN")
			}
			reply("250 8BITMIME")
		case "HELO":
			reply("250 test.invalid")
		case "AUTH":
			s.mu.Lock()
			s.authTries++
			s.mu.Unlock()
			mech, resp, _ := strings.Cut(arg, " ")
			raw, _ := base64.StdEncoding.DecodeString(resp)
			if strings.ToUpper(mech) == "PLAIN" && string(raw) == "\x00"+s.user+"\x00"+s.pass {
				authed = true
				reply("235 2.7.0 authenticated")
			} else {
				reply("535 5.7.8 authentication credentials invalid")
			}
		case "MAIL":
			if !authed {
				reply("530 5.7.0 authentication required")
				continue
			}
			from, _, _ := strings.Cut(strings.TrimPrefix(arg, "FROM:"), " ")
			cur = smtpMessage{From: strings.Trim(from, "<>")}
			reply("250 2.1.0 ok")
		case "RCPT":
			s.mu.Lock()
			rr := s.rcptReply
			s.mu.Unlock()
			if rr != "" {
				reply(rr)
				continue
			}
			cur.To = append(cur.To, strings.Trim(strings.TrimPrefix(arg, "TO:"), "<>"))
			reply("250 2.1.5 ok")
		case "DATA":
			if len(cur.To) == 0 {
				reply("503 5.5.1 no recipients")
				continue
			}
			reply("354 end data with <CR><LF>.<CR><LF>")
			var data []byte
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data = append(data, strings.TrimPrefix(l, ".")...)
			}
			s.mu.Lock()
			s.dataTries++
			dr := s.dataReply
			if dr == "" {
				cur.Data = data
				s.msgs = append(s.msgs, cur)
			}
			s.mu.Unlock()
			if dr != "" {
				reply(dr)
			} else {
				reply("250 2.0.0 queued")
			}
			cur = smtpMessage{}
		case "RSET":
			cur = smtpMessage{}
			reply("250 2.0.0 ok")
		case "NOOP":
			reply("250 2.0.0 ok")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 command not recognised")
		}
	}
}
