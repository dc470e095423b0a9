"""Minimal stand-in for `ftfy` (not packaged in Debian 12).

openai/CLIP's simple_tokenizer calls ftfy.fix_text() first.  For the plain
ASCII prompts used by the reference generator, fix_text() returns its input
unchanged, so the identity is exact here.  Do NOT use this stub to produce
token ids for non-ASCII text (mojibake repair, NFC, quote straightening...).
"""


def fix_text(text, *args, **kwargs):
    if any(ord(c) > 127 for c in text):
        raise ValueError("ftfy stub: only ASCII text is supported (got %r)" % text)
    return text
