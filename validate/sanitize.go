package validate

import (
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
)

// The policies are built once, on first use, and shared: a built
// bluemonday.Policy is safe for concurrent use, building one is not.
var (
	strictPolicy = sync.OnceValue(bluemonday.StrictPolicy)
	ugcPolicy    = sync.OnceValue(func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.RequireNoFollowOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true) // and so rel="nofollow noopener"
		p.RequireParseableURLs(true)
		return p
	})
)

// StripHTML removes all markup from s (bluemonday's StrictPolicy): tags are
// dropped, the content of script and style elements too, and the remaining
// text is HTML-escaped ("Salt & Pepper" becomes "Salt &amp; Pepper"). Use
// it for plain-text fields whose value is put into HTML as it is; it is
// safe for concurrent use.
//
// Sanitising is for output into HTML. Plain text that is stored (a name, a
// note) is better stored as received, after validation, and escaped when it
// is output, by html/template or the escaping of the output format: the
// same text may end up in JSON, CSV or a receipt printer, where HTML
// escapes are wrong.
func StripHTML(s string) string {
	if plain(s) {
		return s
	}
	return strictPolicy().Sanitize(s)
}

// SanitizeHTML keeps the safe formatting of s (bluemonday's UGCPolicy:
// paragraphs, emphasis, lists, tables, images, links with http, https and
// mailto URLs) and removes everything that can run script: script and
// style elements, event handler attributes, javascript:, vbscript: and
// data: URLs, SVG, MathML, iframes, objects and forms. Links get
// rel="nofollow", and links to other sites target="_blank" with
// rel="nofollow noopener". Use it for rich-text fields (a product
// description) that are shown as HTML; it is safe for concurrent use.
func SanitizeHTML(s string) string {
	if plain(s) {
		return s
	}
	return ugcPolicy().Sanitize(s)
}

// plain reports whether s has nothing a policy changes: no markup, no
// character reference and nothing it escapes or normalises (quotes, and
// \r, which HTML reads as \n). Both policies return such text as it is,
// so it is returned without parsing it (most names and notes are plain).
func plain(s string) bool { return !strings.ContainsAny(s, "<>&'\"\r") }
