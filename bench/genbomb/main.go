// Command genbomb writes hostile inputs for bench/hostile.sh: a SAMLResponse
// value whose DEFLATE stream inflates to the given number of GiB of zeros,
// and a billion-laughs XML document.
package main

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	gib := flag.Int("gib", 10, "GiB the DEFLATE bomb inflates to")
	dir := flag.String("dir", ".", "output folder")
	flag.Parse()
	// A sync-flushed block of 1 MiB of zeros is byte-aligned and refers
	// only to zeros, so it can be repeated.
	var one bytes.Buffer
	w, _ := flate.NewWriter(&one, flate.BestCompression)
	w.Write(make([]byte, 1<<20))
	w.Flush()
	bomb := append(bytes.Repeat(one.Bytes(), *gib<<10), 0x03, 0x00)
	if err := os.WriteFile(*dir+"/deflate-bomb.b64", []byte(base64.StdEncoding.EncodeToString(bomb)), 0o644); err != nil {
		panic(err)
	}
	var lol strings.Builder
	lol.WriteString("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n")
	prev := "lol"
	for i := 1; i <= 9; i++ {
		name := fmt.Sprintf("lol%d", i)
		lol.WriteString(" <!ENTITY " + name + " \"" + strings.Repeat("&"+prev+";", 10) + "\">\n")
		prev = name
	}
	lol.WriteString("]>\n<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\">&lol9;</samlp:Response>\n")
	if err := os.WriteFile(*dir+"/billion-laughs.xml", []byte(lol.String()), 0o644); err != nil {
		panic(err)
	}
	fmt.Fprintf(os.Stderr, "wrote deflate-bomb.b64 (%d bytes, inflates to %d GiB) and billion-laughs.xml\n", base64.StdEncoding.EncodedLen(len(bomb)), *gib)
}
