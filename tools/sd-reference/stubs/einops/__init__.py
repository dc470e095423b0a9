"""Minimal stand-in for `einops` (not packaged in Debian 12).

Only `rearrange` is provided, for plain patterns made of named axes and
parenthesised groups, e.g. 'b n (h d) -> (b h) n d' or 'b c h w -> b (h w) c'.
It is implemented with reshape + permute + reshape, which is exactly what
einops does for such patterns, so it cannot change any number.  `repeat`
(imported by ldm but unused on the code paths we run) raises.
"""
import math

__all__ = ["rearrange", "repeat"]


def _parse(side):
    groups, cur, depth = [], None, 0
    for tok in side.replace("(", " ( ").replace(")", " ) ").split():
        if tok == "(":
            if cur is not None:
                raise NotImplementedError("nested groups")
            cur = []
        elif tok == ")":
            if cur is None:
                raise ValueError("unbalanced ')'")
            groups.append(cur)
            cur = None
        elif tok == "..." or not tok.isidentifier():
            raise NotImplementedError("einops stub: unsupported axis %r" % tok)
        elif cur is not None:
            cur.append(tok)
        else:
            groups.append([tok])
    if cur is not None:
        raise ValueError("unbalanced '('")
    return groups


def rearrange(tensor, pattern, **sizes):
    lhs, rhs = [s.strip() for s in pattern.split("->")]
    lg, rg = _parse(lhs), _parse(rhs)
    if len(lg) != tensor.dim():
        raise ValueError("pattern %r does not match rank %d" % (pattern, tensor.dim()))
    known = dict(sizes)
    for group, n in zip(lg, tensor.shape):
        unknown = [a for a in group if a not in known]
        prod = math.prod(known[a] for a in group if a in known)
        if len(unknown) > 1:
            raise ValueError("cannot infer axes %r" % unknown)
        if unknown:
            if n % prod:
                raise ValueError("axis size mismatch")
            known[unknown[0]] = n // prod
        elif prod != n:
            raise ValueError("axis size mismatch for %r" % group)
    lflat = [a for g in lg for a in g]
    rflat = [a for g in rg for a in g]
    if sorted(lflat) != sorted(rflat) or len(set(lflat)) != len(lflat):
        raise ValueError("axes differ between sides of %r" % pattern)
    x = tensor.reshape([known[a] for a in lflat])
    x = x.permute([lflat.index(a) for a in rflat])
    return x.reshape([math.prod(known[a] for a in g) for g in rg])


def repeat(*args, **kwargs):
    raise NotImplementedError("einops stub: repeat() is not used on the reference code paths")
