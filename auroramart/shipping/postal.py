"""Postal-code rules for zones and methods: one rule a line, a code (018956), a range of codes
of the same length (018900-018999) or a prefix (01*). No rules match every code."""

import re


def _norm(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").upper()


class PostalRules:
    def __init__(self, text: str):
        self.rules = [line.strip() for line in (text or "").splitlines() if line.strip()]

    def errors(self) -> list[str]:
        """What is wrong with each rule, for the staff form."""
        wrong = []
        for rule in self.rules:
            if rule.endswith("*"):
                if not _norm(rule[:-1]):
                    wrong.append(f"{rule}: a prefix needs at least one character before *")
            elif "-" in rule.strip("-") and len(rule.split("-")) == 2 and not rule.count(" "):
                low, high = (_norm(p) for p in rule.split("-"))
                if len(low) != len(high) or low > high:
                    wrong.append(f"{rule}: a range needs two codes of the same length, low to high")
            elif not _norm(rule):
                wrong.append(f"{rule}: not a postal code")
        return wrong

    def matches(self, code: str) -> bool:
        if not self.rules:
            return True
        code = _norm(code)
        if not code:
            return False
        for rule in self.rules:
            if rule.endswith("*"):
                if code.startswith(_norm(rule[:-1])):
                    return True
            elif "-" in rule and len(rule.split("-")) == 2:
                low, high = (_norm(p) for p in rule.split("-"))
                if len(code) == len(low) and low <= code <= high:
                    return True
            elif code == _norm(rule):
                return True
        return False
