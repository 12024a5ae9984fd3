#!/usr/bin/python3
"""Writes with-attachments.eml: an FOI reply as a mail client sends it (RFC 5322 / MIME), with
what a reader sees (From, To, Date, Subject, a quoted-printable Latin-1 body and its HTML
alternative) and what they do not (Received lines naming internal hosts and addresses, an
X-Originating-IP), a text attachment in base64, a PDF attachment and a forwarded message.
Also uuencoded.eml: a plain-text message as old clients sent files, a uuencoded block
("begin 644 name" ... "end") inside its body. Built with Python's standard email package (and
binascii for the uuencoding). Run again to rebuild:
/usr/bin/python3 make_email_fixtures.py
"""
import binascii
import os
from email.message import EmailMessage
from email.policy import SMTP

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "..", "..", "samples")


def main():
    inner = EmailMessage()
    inner["From"] = "Network Team <network@northshire.example>"
    inner["To"] = "FOI Officer <foi@northshire.example>"
    inner["Subject"] = "Background for the reply"
    inner["Date"] = "Mon, 05 Jan 2026 09:00:00 +0000"
    inner.set_content("The logs were shared with MI5 in March.\n")

    msg = EmailMessage(policy=SMTP)
    msg["Received"] = ("from mail01.corp.northshire.local (mail01.corp.northshire.local "
                       "[10.20.30.40]) by gw.northshire.example with ESMTP id 4F2A1; "
                       "Tue, 06 Jan 2026 10:00:00 +0000")
    msg["X-Originating-IP"] = "[192.168.77.12]"
    msg["From"] = "Information Rights <foi@northshire.example>"
    msg["To"] = "A Requester <requester@example.org>"
    msg["Date"] = "Tue, 06 Jan 2026 10:00:05 +0000"
    msg["Subject"] = "Your request FOI-2026-0042"
    msg["Message-ID"] = "<20260106100005.4F2A1@gw.northshire.example>"
    body = ("Dear requester,\n\nThank you for your request about the caf\u00e9 network. "
            "Our systems team works with GCHQ on this.\n\nYours sincerely,\nInformation Rights\n")
    msg.set_content(body, charset="iso-8859-1", cte="quoted-printable")
    msg.add_alternative("<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
                        "<body><p>Dear requester,</p><p>Thank you for your request about the "
                        "caf&eacute; network. Our systems team works with GCHQ on this.</p>"
                        "<img src=\"http://tracker.example.net/open.gif\">"
                        "<p>Yours sincerely,<br>Information Rights</p></body></html>",
                        subtype="html")
    msg.add_attachment("Notes for the file: the firewall is managed by GCHQ staff.\n".encode(),
                       maintype="text", subtype="plain", filename="notes.txt")
    with open(os.path.join(SAMPLES, "police-remote-devices-draft.pdf"), "rb") as f:
        msg.add_attachment(f.read(), maintype="application", subtype="pdf",
                           filename="draft response.pdf")
    msg.add_attachment(inner)
    with open(os.path.join(HERE, "with-attachments.eml"), "wb") as f:
        f.write(bytes(msg))


def uuencoded():
    data = ("Minutes of the security meeting: the VPN concentrator vpn-gw2.corp.northshire.local "
            "is to be replaced; contact Dr Jane Smith on 01632 960123.\n").encode()
    lines = [binascii.b2a_uu(data[i:i + 45]).decode() for i in range(0, len(data), 45)]
    body = ("Dear requester,\n\nThe minutes you asked for are attached below.\n\n"
            "begin 644 minutes.txt\n" + "".join(lines) + "`\nend\n\nYours sincerely,\n"
            "Information Rights\n")
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "Information Rights <foi@northshire.example>"
    msg["To"] = "A Requester <requester@example.org>"
    msg["Date"] = "Wed, 07 Jan 2026 11:00:00 +0000"
    msg["Subject"] = "Minutes, as asked"
    msg.set_content(body, cte="7bit")
    with open(os.path.join(HERE, "uuencoded.eml"), "wb") as f:
        f.write(bytes(msg))


if __name__ == "__main__":
    uuencoded()
    main()
