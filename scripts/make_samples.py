#!/usr/bin/python3
"""Writes the sample drafts in samples/ (run with Debian's python3 and python3-fitz).

The samples are committed; this script documents how they were made and rebuilds them.
Every line is placed explicitly so that line breaks (and one end-of-line hyphen) fall
where the tests expect them.
"""
import os
import sys

import fitz  # PyMuPDF, Debian package python3-fitz

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples")

POLICE_PAGES = [
    [
        ("Northshire Constabulary", 14),
        ("Freedom of Information Request FOI/2017/0412 - DRAFT RESPONSE", 12),
        ("", 11),
        ("Request", 12),
        ("1) How many devices are connected to central data services from outside of", 11),
        ("official police buildings?", 11),
        ("2) Which encryption is used for data in motion between those devices and the force?", 11),
        ("3) How many recorded cyber attacks have you had in the last three years?", 11),
        ("", 11),
        ("Response", 12),
        ("1) 2,417 devices as at 27 February 2017. Laptops: 1,306. Smartphones: 988. Tablets: 123.", 11),
        ("2) Remote laptops connect through Cisco AnyConnect SSL VPN terminating on", 11),
        ("vpn-gw01.northshire.police.uk, and data at rest is protected by BitLocker with", 11),
        ("TPM 2.0 and AES-256. The legacy gateway at 10.44.12.7 still accepts TLS 1.0 for", 11),
        ("older handsets until the migration is complete.", 11),
        ("3) Northshire Constabulary can neither confirm nor deny that it holds the information", 11),
        ("you requested, as the duty in Section 1(1)(a) does not apply by virtue of:", 11),
        ("Section 23(5) Information supplied by or concerning certain Security Bodies", 11),
        ("Section 24(2) National Security", 11),
        ("Section 31(3) Law Enforcement", 11),
    ],
    [
        ("Internal note for the decision maker (remove before release): the incident of", 11),
        ("3 March 2016 was reported to the National Cyber Security Centre and the", 11),
        ("indicators were shared with Government Commu-", 11),
        ("nications Headquarters. Contact DC Sarah Whitfield on 0121 626 5000 or", 11),
        ("s.whitfield@northshire.police.uk for the case file.", 11),
        ("", 11),
        ("The information about encryption is exempt by virtue of section 31(1)(a) of the", 11),
        ("Freedom of Information Act 2000. Disclosure would confirm the capability of the", 11),
        ("force to use specific technology and would allow criminals to evaluate it.", 11),
        ("", 11),
        ("If you are dissatisfied with this response you may ask for an internal review.", 11),
        ("Please write to the Freedom of Information Unit quoting reference FOI/2017/0412.", 11),
    ],
]

STAFF_PAGE = [
    ("Kingsmoor Borough Council - staff contact list (DRAFT, OFFICIAL-SENSITIVE)", 12),
    ("", 11),
    ("The network team for the Civic Centre upgrade is led by Ms Helen Brackley", 11),
    ("(helen.brackley@kingsmoor.gov.uk, 07700 900461) with Mr Daniel Okafor.", 11),
    ("Core switch: fw-core-2.kingsmoor.local (192.168.210.15), management VLAN on", 11),
    ("2001:db8:85a3::8a2e:370:7334. Firewalls are Palo Alto PA-3220 running GlobalProtect.", 11),
    ("", 11),
    ("Figures released under this request: 14 sites, 212 switches, 38 wireless controllers.", 11),
]


def write_lines(path, pages, title):
    doc = fitz.open()
    for lines in pages:
        page = doc.new_page(width=595, height=842)
        y = 72
        for text, size in lines:
            if text:
                page.insert_text((60, y), text, fontsize=size, fontname="helv")
            y += size * 1.45
    doc.set_metadata({"title": title, "author": "Draft author - must not reach the release"})
    doc.save(path, garbage=4, deflate=True)


def main():
    write_lines(os.path.join(ROOT, "police-remote-devices-draft.pdf"), POLICE_PAGES,
                "Draft FOI response FOI/2017/0412")
    write_lines(os.path.join(ROOT, "council", "staff-contacts-draft.pdf"), [STAFF_PAGE],
                "Staff contacts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
