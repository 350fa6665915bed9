package redact

import "bytes"

// SignatureValues replaces the content of every SignatureValue element in
// xml with marker (text, CDATA sections, comments alike), keeping
// everything else byte for byte, and says how many it replaced. Without
// its signature values an assertion cannot be replayed. It reads xml once.
func SignatureValues(xml []byte, marker string) ([]byte, int) {
	out, n, _, _ := signatureValues(xml, marker)
	return out, n
}

var sigName = []byte("SignatureValue")

// signatureValues does SignatureValues' work; rewrote counts the elements
// whose content was not marker already, left says a SignatureValue start
// tag was found whose end tag (or the end of the start tag) is missing.
func signatureValues(xml []byte, marker string) (out []byte, n, rewrote int, left bool) {
	var b []byte
	last, i := 0, 0
	for {
		j := bytes.Index(xml[i:], sigName)
		if j < 0 {
			break
		}
		j += i
		after := j + len(sigName)
		i = after
		lt := startOf(xml, j)
		if lt < 0 || after < len(xml) && isNameByte(xml[after]) {
			continue // not a start tag: text, an end tag, SignatureValueX
		}
		gt := tagEnd(xml, after)
		if gt < 0 {
			left = true
			break
		}
		if xml[gt-1] == '/' {
			i = gt + 1
			continue // <ds:SignatureValue/>: nothing in it
		}
		end, next := endTag(xml, gt+1, xml[lt+1:after])
		if end < 0 {
			left = true
			break
		}
		n++
		if !bytes.Equal(bytes.TrimSpace(xml[gt+1:end]), []byte(marker)) {
			rewrote++
			b = append(b, xml[last:gt+1]...)
			b = append(b, marker...)
			last = end
		}
		i = next
	}
	if b == nil {
		return xml, n, rewrote, left
	}
	return append(b, xml[last:]...), n, rewrote, left
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.' || c >= 0x80
}

// startOf finds the '<' of a start tag whose name ends with the
// SignatureValue at xml[j] ("<SignatureValue", "<ds:SignatureValue"), or
// -1. The prefix is looked for at most 64 bytes back.
func startOf(xml []byte, j int) int {
	k := j - 1
	if k >= 0 && xml[k] == ':' {
		k--
		p := k
		for k >= 0 && p-k < 64 && isNameByte(xml[k]) {
			k--
		}
		if k == p {
			return -1 // "<:SignatureValue"
		}
	}
	if k >= 0 && xml[k] == '<' {
		return k
	}
	return -1
}

// tagEnd finds the '>' that ends the start tag whose name ends at
// xml[i], skipping quoted attribute values, or -1.
func tagEnd(xml []byte, i int) int {
	var quote byte
	for ; i < len(xml); i++ {
		c := xml[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i
		case c == '<':
			return -1
		}
	}
	return -1
}

// endTag finds the end tag </qname> after xml[i], skipping CDATA
// sections and comments: where it starts, and the offset after it; end
// -1 when there is none.
func endTag(xml []byte, i int, qname []byte) (end, next int) {
	for {
		k := bytes.IndexByte(xml[i:], '<')
		if k < 0 {
			return -1, 0
		}
		k += i
		rest := xml[k:]
		switch {
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			e := bytes.Index(rest, []byte("]]>"))
			if e < 0 {
				return -1, 0
			}
			i = k + e + 3
			continue
		case bytes.HasPrefix(rest, []byte("<!--")):
			e := bytes.Index(rest[4:], []byte("-->"))
			if e < 0 {
				return -1, 0
			}
			i = k + 4 + e + 3
			continue
		case bytes.HasPrefix(rest, []byte("</")) && bytes.HasPrefix(rest[2:], qname):
			p := k + 2 + len(qname)
			for p < len(xml) && (xml[p] == ' ' || xml[p] == '\t' || xml[p] == '\r' || xml[p] == '\n') {
				p++
			}
			if p < len(xml) && xml[p] == '>' {
				return k, p + 1
			}
		}
		i = k + 1
	}
}
