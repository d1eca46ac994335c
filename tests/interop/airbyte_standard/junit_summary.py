"""One line per test of a pytest JUnit XML file: outcome, name, and the first line of why it
failed or was skipped. Usage: junit_summary.py FILE"""
import sys
import xml.etree.ElementTree as ET

for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    outcome, why = "PASSED", ""
    for kind in ("failure", "error", "skipped"):
        node = case.find(kind)
        if node is not None:
            outcome = {"failure": "FAILED", "error": "ERROR", "skipped": "SKIPPED"}[kind]
            why = (node.get("message") or node.text or "").strip().splitlines()[:1]
            why = why[0][:220] if why else ""
            break
    print(f"  {outcome:8} {case.get('name')}" + (f"  -- {why}" if why else ""))

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
total = sum(int(s.get("tests", 0)) for s in suites)
failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(f"{total - failed - skipped} passed, {failed} failed, {skipped} skipped")
