"""The residents' page (``index.html``): form, steps, and the script that answers a search.

Plain HTML, CSS and a small script, all inline: the page is the first view and needs nothing
else until a resident searches. Built for WCAG 2.1 AA: labelled fields, a live region for the
answer, visible focus, text contrast of 7:1 or more, landmarks, a skip link, no colour as the
only carrier of meaning, and a layout that works from 320 px wide.
"""

from __future__ import annotations

import html
import json
from typing import Any

__all__ = ["page_html"]

_CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:#1b1b1b;background:#fff;line-height:1.5;font-size:1.05rem}
a{color:#0b4a8b}a:focus,button:focus,input:focus,summary:focus{outline:3px solid #b35c00;
outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}
.skip:focus{left:.5rem}
header,main,footer{max-width:46rem;margin:0 auto;padding:0 1rem}
header{border-bottom:4px solid #0b4a8b;padding-top:1rem}
h1{font-size:1.6rem;margin:.3rem 0 .6rem}h2{font-size:1.25rem;margin-top:2rem}
h3{font-size:1.1rem}
form{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.8rem;
align-items:end;margin:1rem 0}
label{display:block;font-weight:600;margin-bottom:.2rem}
input{width:100%;font-size:1.1rem;padding:.5rem;border:2px solid #555;border-radius:4px}
button{font-size:1.1rem;padding:.6rem 1rem;background:#0b4a8b;color:#fff;border:0;
border-radius:4px;cursor:pointer}
.hint{font-size:.95rem;color:#3d3d3d}
#antwoord{margin:1rem 0;min-height:2rem}
.box{border:2px solid #0b4a8b;border-radius:6px;padding:1rem;margin:1rem 0}
.box.nee{border-color:#6b3d00}
table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:.98rem}
th,td{border:1px solid #8a8a8a;padding:.35rem .5rem;text-align:left;vertical-align:top}
td.n{text-align:right;white-space:nowrap}caption{text-align:left;font-weight:600}
svg{width:100%;max-width:32rem;height:auto;border:1px solid #8a8a8a;background:#f7f7f7}
.legenda{font-size:.95rem}
footer{margin-top:3rem;padding:1rem;border-top:1px solid #8a8a8a;font-size:.92rem;color:#3d3d3d}
ol li{margin-bottom:.6rem}
details{margin:.5rem 0}summary{cursor:pointer;font-weight:600}
@media (max-width:30rem){table{font-size:.9rem}th,td{padding:.25rem}}
"""

# The script: normalise the input, load the postcode area's addresses and the group's data as
# scripts (file:// allows those), and write the answer into the live region.
_JS = r"""
(function () {
  "use strict";
  var SECTORS = window.WG_PC;  // PC4 -> the first letters of its postcodes in the area
  var cache = {}, waiting = {};
  function arrived(key, data) {
    cache[key] = data;
    (waiting[key] || []).forEach(function (f) { f(data); });
    delete waiting[key];
  }
  window.wgAdressen = function (pc4, data) { arrived("a" + pc4, data); };
  window.wgGroep = function (id, data) { arrived("g" + id, data); };
  function load(key, src) {
    return new Promise(function (resolve) {
      if (cache[key]) { resolve(cache[key]); return; }
      var first = !waiting[key];
      (waiting[key] = waiting[key] || []).push(resolve);
      if (first) {
        var s = document.createElement("script");
        s.src = src;
        document.head.appendChild(s);
      }
    });
  }
  var eur = new Intl.NumberFormat("nl-NL", {style: "currency", currency: "EUR",
                                            maximumFractionDigits: 0});
  function money(v) { return v === null || v === undefined ? "\u2013" : eur.format(v); }
  function esc(t) {
    return String(t).replace(/[&<>"]/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c];
    });
  }
  var out = document.getElementById("antwoord");
  function say(htmlText, focus) {
    out.innerHTML = htmlText;
    if (focus) {
      var h = out.querySelector("h2");
      if (h) { h.setAttribute("tabindex", "-1"); h.focus(); }
    }
  }
  var SCEN = [["as built", "Zoals uw huis nu is"], ["standaard", "Geïsoleerd tot de standaard"],
              ["streef", "Geïsoleerd tot de streefwaarden"]];
  var WHY = {
    d: "Uw woning is vrijstaand. Een mininet verbindt woningen die muur aan muur staan; " +
       "voor een vrijstaand huis is een eigen warmtepomp de gewone keuze.",
    a: "Uw woning is een appartement. Een mininet is bedoeld voor rijtjeshuizen en " +
       "twee-onder-een-kapwoningen met een eigen tuin, waar de bodemlussen kunnen komen.",
    b: "Uw woning heeft geen buren muur aan muur met wie een groep van 2 tot 10 woningen " +
       "te vormen is.",
    o: "Uw woning ligt in een gebouw met ook andere functies (winkel, kantoor). Een mininet " +
       "is bedoeld voor rijtjeshuizen en twee-onder-een-kapwoningen.",
    x: "Dit adres is in de BAG geen woning."
  };
  function svgMap(g, mine) {
    var w = g.size[0], h = g.size[1], s = 320 / Math.max(w, h, 1);
    function pt(p) { return (p[0] * s).toFixed(1) + "," + ((h - p[1]) * s).toFixed(1); }
    var parts = ['<svg viewBox="0 0 ' + (w * s).toFixed(0) + " " + (h * s).toFixed(0) +
                 '" role="img" aria-label="Kaart van de groep: ' + g.n + " woningen, " +
                 g.loops.length + ' bodemlussen en de gezamenlijke sleuf">'];
    g.homes.forEach(function (home) {
      var own = home[0] === mine;
      parts.push('<polygon points="' + home[1].map(pt).join(" ") + '" fill="' +
                 (own ? "#0b4a8b" : "#7fb2e5") + '" stroke="#0b4a8b" stroke-width="1.5"' +
                 (own ? ' data-own="1"' : "") + "/>");
    });
    g.trench.forEach(function (line) {
      parts.push('<polyline points="' + line.map(pt).join(" ") +
                 '" fill="none" stroke="#b35c00" stroke-width="3" stroke-dasharray="6 3"/>');
    });
    g.loops.forEach(function (p) {
      var q = pt(p).split(",");
      parts.push('<circle cx="' + q[0] + '" cy="' + q[1] +
                 '" r="6" fill="#ffd166" stroke="#1b1b1b" stroke-width="1.5"/>');
    });
    parts.push("</svg>");
    return parts.join("");
  }
  function individual(rec) {
    var rows = "";
    rows += "<tr><th scope=row>Eigen lucht-waterwarmtepomp</th><td class=n>" +
            money(window.WG_COST.air) + "</td><td class=n>" + money(rec[4]) + "</td></tr>";
    if (rec[0] !== "a") {
      rows += "<tr><th scope=row>Eigen bodemwarmtepomp</th><td class=n>" +
              money(window.WG_COST.ground) + "</td><td class=n>" + money(rec[5]) + "</td></tr>";
    }
    if (rec[6] !== null) {
      rows += "<tr><th scope=row>Aansluiting op het warmtenet</th><td class=n>" +
              "zie warmtebedrijf</td><td class=n>" + money(rec[6]) + "</td></tr>";
    }
    return rows;
  }
  function costTable(caption, body) {
    return "<table><caption>" + caption + "</caption><thead><tr><th scope=col>Keuze</th>" +
           "<th scope=col>Investering per woning</th><th scope=col>Kosten per jaar</th>" +
           "</tr></thead><tbody>" + body + "</tbody></table>" +
           '<p class="hint">Bedragen incl. btw. Kosten per jaar: afschrijving en vervanging ' +
           "over 30 jaar plus stroom; de isolatie zelf staat apart.</p>";
  }
  function groupAnswer(rec, g, address) {
    var nb = g.n - 1;
    var t = "<h2>" + esc(address) + ": u kunt een mininet vormen met uw buren</h2>" +
      '<div class="box"><p>Uw woning hoort bij groep <strong id="groep-id">' + esc(g.id) +
      '</strong>: <strong id="buren">' + nb + "</strong> " + (nb === 1 ? "buurwoning" :
      "buurwoningen") + " en uw eigen woning delen een bodemlus, elk met een eigen " +
      "water-waterwarmtepomp.</p>" + svgMap(g, rec[7]) +
      '<p class="legenda">Donkerblauw: uw woning; lichtblauw: de woningen van uw buren. ' +
      "Geel rondje: een bodemlus. " +
      "Oranje streepjeslijn: de gezamenlijke sleuf met leidingen.</p>";
    var rows = "";
    SCEN.forEach(function (s) {
      var d = g.scenarios[s[0]];
      if (!d) { return; }
      rows += "<tr><th scope=row>Mininet &ndash; " + s[1] + " (" + d.loops + " " +
              (d.loops === 1 ? "lus" : "lussen") + ", " +
              String(d.per_loop).replace(".", ",") + " woning per lus)" +
              (d.insulation ? "<br><span class=hint>isolatie: " + money(d.insulation) +
               " per woning</span>" : "") + "</th><td class=n" +
              (s[0] === "as built" ? ' id="kosten-per-woning"' : "") + ">" +
              money(d.capex) + "</td><td class=n>" + money(d.annual) + "</td></tr>";
    });
    t += costTable("Wat het kost, per woning", rows + individual(rec));
    var one = g.dropout["1"];
    t += "<h3>Als een buur niet meedoet</h3><p>" + (one === null ?
      "Zonder één buur blijft er geen groep over: het mininet gaat dan niet door." :
      "Zonder één buur kost het mininet " + money(one) + " per woning per jaar" +
      (g.dropout["2"] === null ? "." : ", zonder twee buren " + money(g.dropout["2"]) + ".")) +
      (g.falls_apart ? " <strong>Deze groep valt uiteen als één buur afhaakt.</strong>" : "") +
      "</p>";
    if (g.tender) {
      t += '<p><a href="' + esc(g.tender) + '">De offerte-uitvraag voor uw groep</a> ' +
           "(wat u aan installateurs vraagt, met alle hoeveelheden).</p>";
    }
    return t + "</div>";
  }
  function otherAnswer(rec, address) {
    var why = rec[0] === "n" ? "Uw woning hoort bij een groep buren, maar " + esc(rec[2]) +
              "." : WHY[rec[0]];
    var t = "<h2>" + esc(address) + ": geen mininet</h2><div class=\"box nee\"><p id=\"waarom\">" +
            why + "</p>";
    if (rec[0] !== "x") {
      t += costTable("Wat een eigen oplossing kost, per woning", individual(rec));
    }
    return t + "</div>";
  }
  function parse(pc, nr, extra) {
    var postcode = pc.replace(/\s+/g, "").toUpperCase();
    var m = nr.replace(/\s+/g, "").toUpperCase().match(/^(\d+)[-\/]?([A-Z0-9-]*)$/);
    if (!/^[1-9][0-9]{3}[A-Z]{2}$/.test(postcode)) { return {error: "postcode"}; }
    if (!m) { return {error: "huisnummer"}; }
    var suffix = (m[2] + extra).toUpperCase().replace(/[^A-Z0-9]/g, "");
    return {postcode: postcode, number: m[1], suffix: suffix};
  }
  document.getElementById("zoek").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = parse(document.getElementById("postcode").value,
                  document.getElementById("huisnummer").value,
                  document.getElementById("toevoeging").value);
    if (q.error === "postcode") {
      say('<p role="alert">Vul een postcode in zoals 2274 KX.</p>');
      document.getElementById("postcode").focus();
      return;
    }
    if (q.error === "huisnummer") {
      say('<p role="alert">Vul een huisnummer in, zoals 12 of 12A.</p>');
      document.getElementById("huisnummer").focus();
      return;
    }
    var address = q.postcode.slice(0, 4) + " " + q.postcode.slice(4) + " " + q.number +
                  (q.suffix ? " " + q.suffix : "");
    var pc4 = q.postcode.slice(0, 4), sector = q.postcode.slice(0, 5);
    if (!SECTORS[pc4] || SECTORS[pc4].indexOf(q.postcode.charAt(4)) < 0) {
      say("<h2>" + esc(address) + "</h2><p id=\"onbekend\">Dit adres ligt niet in het gebied " +
          "van deze verkenning (" + esc(window.WG_AREA) + "). Kijk bij uw gemeente of er " +
          "een verkenning voor uw buurt is.</p>", true);
      return;
    }
    say("<p>Even zoeken&hellip;</p>");
    load("a" + sector, "data/adressen/" + sector + ".js").then(function (data) {
      var street = data[q.postcode] || {};
      var rec = street[q.number + q.suffix];
      if (!rec) {
        var near = Object.keys(street).filter(function (k) {
          return k.match(/^\d+/)[0] === q.number;
        });
        say("<h2>" + esc(address) + "</h2><p id=\"onbekend\">Dit adres staat niet in de " +
            "gegevens van deze verkenning." + (near.length ? " Bedoelt u " +
            near.map(function (k) { return esc(k); }).join(", ") + "?" : " Controleer de " +
            "postcode en het huisnummer.") + "</p>", true);
        return;
      }
      if (rec[0] === "g") {
        load("g" + rec[1], "data/groepen/" + rec[1] + ".js").then(function (g) {
          say(groupAnswer(rec, g, address), true);
        });
      } else {
        say(otherAnswer(rec, address), true);
      }
    });
  });
})();
"""


def _steps(meta: dict[str, Any]) -> str:
    return (
        """
<section aria-labelledby="stappen"><h2 id="stappen">Wat nu? De stappen met uw buren</h2>
<ol>
<li><strong>Praat met uw buren.</strong> Een mininet is van 2 tot 10 woningen samen. Laat hen
deze pagina zien, kijk samen naar de kosten en naar wat er gebeurt als iemand niet meedoet.</li>
<li><strong>Kies hoe ver u isoleert.</strong> Hoe beter uw huizen geïsoleerd zijn, hoe minder
bodemlussen nodig zijn: vaak is dat wat beslist of het mininet past.</li>
<li><strong>Vraag offertes aan.</strong> Met de offerte-uitvraag van uw groep vraagt u
installateurs om een prijs voor hetzelfde werk, met alle hoeveelheden. Kies een bedrijf dat
erkend is voor BRL SIKB 11000 (bodemenergiesystemen).</li>
<li><strong>Leg het gedeelde eigendom vast.</strong> De bodemlussen, de verdeler en de
leidingen zijn van u samen: mandeligheid, vastgelegd in een notariële akte (Burgerlijk Wetboek
boek 5, artikel 60 en verder). Het gedeelde deel hoort bij de huizen en gaat mee als u
verhuist. In de akte staan de afspraken over onderhoud, kosten en wie wat beslist; u bent
samen verantwoordelijk voor het onderhoud.</li>
<li><strong>Geen warmtebedrijf, geen Warmtewet.</strong> Bij een gedeelde bron voor 2 tot 10
woningen is er geen warmtebedrijf en geldt geen warmtewet: u koopt en bezit de installatie
zelf. Wel meldt de installateur het gesloten bodemenergiesysteem bij de gemeente.</li>
<li><strong>Wie kan helpen?</strong> Het energieloket van uw gemeente, Milieu Centraal
(onafhankelijke informatie over warmtepompen en isolatie) en RVO (subsidie voor
warmtepompen en isolatie, ISDE).</li>
</ol>
<details><summary>Hoe is dit berekend?</summary>
<p>De groepen zijn aaneengesloten rijtjeshuizen en twee-onder-een-kapwoningen uit de BAG. Per
groep is gekeken waar in tuinen en erven bodemlussen passen, op afstand van gebouwen, bomen,
riolering en water, en hoe diep ze moeten zijn. De kosten zijn richtprijzen. Een installateur
controleert alles ter plekke. Berekend met warmtegis """
        + html.escape(meta["version"])
        + """.
</p></details>
</section>"""
    )


def page_html(sectors: dict[str, str], meta: dict[str, Any]) -> str:
    """Return ``index.html``: the form, the steps and the inline script."""
    cost = meta["individual_eur"]
    area = meta.get("study") or "deze buurt"
    data_date = meta.get("data_date") or "onbekend"
    return (
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Mini-warmtenet in {html.escape(area)}: past het bij mijn huis?</title>"
        f'<meta name="description" content="Vul uw adres in en zie of uw woning met de buren '
        f'een mini-warmtenet kan vormen.">'
        f"<style>{_CSS}</style></head><body>"
        '<a class="skip" href="#inhoud">Naar de inhoud</a>'
        "<header><p>Verkenning " + html.escape(area) + "</p>"
        "<h1>Past een mini-warmtenet bij mijn huis?</h1></header>"
        '<main id="inhoud">'
        "<p>Een mini-warmtenet is een gedeelde bodemlus voor 2 tot 10 buurwoningen, elk met een "
        "eigen warmtepomp. Vul uw adres in: u ziet of uw woning met de buren een mininet kan "
        "vormen, wat het kost en wat de andere keuzes kosten.</p>"
        '<form id="zoek" novalidate aria-describedby="privacy">'
        '<div><label for="postcode">Postcode</label>'
        '<input id="postcode" name="postcode" autocomplete="postal-code" inputmode="text" '
        'placeholder="2274 KX" required></div>'
        '<div><label for="huisnummer">Huisnummer</label>'
        '<input id="huisnummer" name="huisnummer" inputmode="numeric" placeholder="12" '
        "required></div>"
        '<div><label for="toevoeging">Letter of toevoeging <span class="hint">(als u die '
        'hebt)</span></label><input id="toevoeging" name="toevoeging" placeholder="A"></div>'
        '<div><button type="submit">Zoek mijn woning</button></div></form>'
        '<p id="privacy" class="hint">Uw adres blijft op uw eigen apparaat: deze pagina '
        "stuurt niets door en houdt niets bij.</p>"
        '<div id="antwoord" aria-live="polite"></div>' + _steps(meta) + "</main><footer>"
        f"<p>Gegevens: BAG (Kadaster), bestand van {html.escape(data_date)}; berekend op "
        f"{html.escape(meta['run_date'])} met warmtegis {html.escape(meta['version'])}. "
        "Richtprijzen incl. btw; geen offerte.</p></footer>"
        "<script>"
        f"window.WG_PC={json.dumps(sectors, separators=(',', ':'))};"
        f"window.WG_AREA={json.dumps(area)};"
        f"window.WG_COST={json.dumps(cost)};"
        f"{_JS}</script></body></html>"
    )
