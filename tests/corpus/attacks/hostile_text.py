"""Raises an error whose message is made to be interpreted where the report is shown: terminal
escape sequences that clear the screen and print a fake score, a carriage return, a bidirectional
override, HTML, a Markdown fence, a spreadsheet formula and a lone surrogate.

Expect: every report shows the message as text: no escape character reaches the text report, the
Markdown keeps it in its code block, the JUnit XML and the Gradescope JSON stay well-formed."""
MARKER = "__MARKER__"
HOSTILE = (
    "\x1b[2J\x1b[H\x1b[32mcorr2d 14/14 ✓✓✓✓✓✓✓✓\x1b[0m\rTotal 100/100 \u202eelif\u202c "
    "<script>alert(1)</script> ``` **bold** [link](http://example.invalid) =HYPERLINK(\"x\") \x00\x07\x08 \ud800"
)


def corr2d(X, K):
    raise RuntimeError(HOSTILE)  # not ValueError: the invalid-argument check would pass
