/* isnad chat widget: one tag on any page.
 *
 *   <script src="https://HOST/widget.js" data-title="..." data-lang="ar" data-outlets="okaz,was" defer></script>
 *
 * data-outlets (optional): answer only from these outlets (comma-separated, as GET /api/outlets
 * names them); data-since / data-until (optional): only articles published in those days.
 * Adds a floating button that opens a chat panel talking to HOST's /api/ask/stream. Styles live
 * in a shadow root (the host page's CSS cannot reach in, ours cannot leak out). Answers, sources
 * and errors are inserted as text nodes only, never as HTML, so article text cannot run script
 * in the host page. No framework, nothing loaded from anywhere but HOST.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__isnadWidget) return;
  window.__isnadWidget = true;

  var base = new URL(script.src, document.baseURI).origin;
  var lang = (script.getAttribute("data-lang") || document.documentElement.lang || "ar").slice(0, 2);
  var title = script.getAttribute("data-title") || (lang === "ar" ? "إسناد" : "isnad");
  var rtl = lang === "ar";
  // What this page's questions keep to: its outlets and days (the server checks them).
  var outlets = (script.getAttribute("data-outlets") || "").split(",").map(function (o) { return o.trim(); })
    .filter(function (o) { return o; });
  var since = script.getAttribute("data-since") || null, until = script.getAttribute("data-until") || null;
  var MONTHS = {
    ar: ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"],
    en: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    fr: ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
  };
  var EN = { open: "Ask", placeholder: "Ask a question…", send: "Send", sources: "Sources", error: "Could not reach the assistant: ", close: "Close", more: "More from the sources",
    also: "Also reported by", differ: "The reports give different figures:",
    login: "Sign in to the assistant first, then ask again: ",
    origin: "This page is not allowed to use the assistant. Its administrator must add this page's origin (" + location.origin + ") to ISNAD_ALLOWED_ORIGINS." };
  var T = {
    ar: { open: "اسأل", placeholder: "اكتب سؤالك…", send: "أرسل", sources: "المصادر", error: "تعذر الاتصال: ", close: "إغلاق", more: "مزيد من المصادر",
      also: "نشرته أيضا", differ: "تختلف الأرقام بين المصادر:",
      login: "سجّل الدخول إلى المساعد أولا ثم أعد السؤال: ",
      origin: "لا يُسمح لهذه الصفحة باستعمال المساعد. على مسؤول الخادم إضافة أصلها (" + location.origin + ") إلى ISNAD_ALLOWED_ORIGINS." },
    en: EN,
    fr: { open: "Demander", placeholder: "Posez une question…", send: "Envoyer", sources: "Sources", error: "Connexion impossible : ", close: "Fermer", more: "Plus de sources",
      also: "Également publié par", differ: "Les sources donnent des chiffres différents :",
      login: "Connectez-vous d'abord à l'assistant, puis reposez la question : ",
      origin: "Cette page n'est pas autorisée à utiliser l'assistant. Son administrateur doit ajouter son origine (" + location.origin + ") à ISNAD_ALLOWED_ORIGINS." }
  }[lang] || EN;

  var CSS = [
    ":host { all: initial; }",
    "* { box-sizing: border-box; font-family: system-ui, 'Segoe UI', 'Noto Sans Arabic', sans-serif; }",
    ".launcher { position: fixed; bottom: 20px; right: 20px; z-index: 2147483000; border: 0; border-radius: 28px;",
    "  padding: 12px 20px; background: #0f766e; color: #fff; font-size: 16px; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); }",
    ".panel { position: fixed; bottom: 80px; right: 20px; z-index: 2147483000; width: min(400px, calc(100vw - 40px));",
    "  height: min(560px, calc(100vh - 120px)); display: flex; flex-direction: column; background: #fff; color: #111;",
    "  border-radius: 12px; box-shadow: 0 8px 30px rgba(0,0,0,.3); overflow: hidden; font-size: 15px; line-height: 1.6; }",
    ".panel[hidden] { display: none; }",
    ".left .launcher, .left .panel { right: auto; left: 20px; }",
    "header { display: flex; justify-content: space-between; align-items: center; padding: 10px 14px; background: #0f766e; color: #fff; font-weight: 600; }",
    "header button { background: none; border: 0; color: #fff; font-size: 20px; cursor: pointer; }",
    ".log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 10px; }",
    ".msg { padding: 8px 12px; border-radius: 10px; max-width: 90%; white-space: pre-wrap; unicode-bidi: plaintext; text-align: start; }",
    ".user { align-self: flex-end; background: #ccfbf1; }",
    ".bot { align-self: flex-start; background: #f3f4f6; }",
    ".error { background: #fee2e2; color: #991b1b; }",
    ".cite { border: 0; background: none; color: #0f766e; font-weight: 700; cursor: pointer; padding: 0 2px; font-size: inherit; }",
    ".source { margin-top: 6px; padding: 8px; border-inline-start: 3px solid #0f766e; background: #fff; font-size: 14px; unicode-bidi: plaintext; }",
    ".source b { display: block; margin-bottom: 4px; }",
    ".provenance { display: block; margin-bottom: 4px; font-size: 12px; color: #4b5563; }",
    "mark { background: #fde68a; color: inherit; }",
    ".more { margin-top: 8px; padding-top: 6px; border-top: 1px solid #d1d5db; }",
    ".more-label { display: block; font-size: 12px; color: #6b7280; }",
    ".also { display: block; margin-top: 6px; font-size: 12px; color: #4b5563; }",
    ".also button { border: 1px solid #99f6e4; background: #f0fdfa; color: #0f766e; border-radius: 6px; margin: 2px; cursor: pointer; font-size: 12px; }",
    ".reports { margin-top: 8px; padding: 6px 8px; border-inline-start: 3px solid #b45309; background: #fffbeb; font-size: 13px; }",
    ".reports span { display: block; }",
    "form { display: flex; gap: 6px; padding: 10px; border-top: 1px solid #e5e7eb; }",
    "input { flex: 1; padding: 8px 10px; border: 1px solid #d1d5db; border-radius: 8px; font-size: 15px; unicode-bidi: plaintext; }",
    "form button { padding: 8px 14px; border: 0; border-radius: 8px; background: #0f766e; color: #fff; cursor: pointer; }"
  ].join("\n");

  // Bidi embeddings, overrides and isolates in article text could make "\u202efdp.exe" read
  // "exe.pdf": they are dropped from what the widget shows.
  function shown(text) {
    return String(text).replace(/[\u202A-\u202E\u2066-\u2069]/g, "");
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = shown(text);
    return node;
  }

  function textNode(text) {
    return document.createTextNode(shown(text));
  }

  var host = el("div");
  host.id = "isnad-widget";
  var root = host.attachShadow({ mode: "open" });
  var style = el("style");
  style.textContent = CSS;
  var launcher = el("button", "launcher", T.open + " · " + title);
  launcher.type = "button";
  launcher.setAttribute("part", "launcher");
  var panel = el("div", "panel");
  panel.hidden = true;
  panel.dir = rtl ? "rtl" : "ltr";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  var header = el("header");
  header.appendChild(el("span", null, title));
  var close = el("button", null, "×");
  close.type = "button";
  close.setAttribute("aria-label", T.close);
  header.appendChild(close);
  var log = el("div", "log");
  log.setAttribute("aria-live", "polite");
  var form = el("form");
  var input = el("input");
  input.placeholder = T.placeholder;
  input.dir = "auto";
  var send = el("button", null, T.send);
  send.type = "submit";
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(form);
  // Both sit in the corner where a reader of the host page's direction expects them.
  var frame = el("div", document.documentElement.dir === "rtl" ? "left" : "right");
  frame.appendChild(launcher);
  frame.appendChild(panel);
  root.appendChild(style);
  root.appendChild(frame);

  var history = [];
  var busy = false;

  launcher.addEventListener("click", function () {
    panel.hidden = !panel.hidden;
    if (!panel.hidden) input.focus();
  });
  close.addEventListener("click", function () { panel.hidden = true; });

  // A line of parts (outlet, day, author), each isolated, in the widget's direction: a Latin
  // outlet beside an Arabic date would otherwise reorder the line.
  function partsLine(cls, parts) {
    var line = el("span", cls);
    line.dir = rtl ? "rtl" : "ltr";
    parts.forEach(function (part, i) {
      if (i) line.appendChild(textNode(" · "));
      line.appendChild(el("bdi", null, part));
    });
    return line;
  }

  // The cited passage with the sentences the answer quotes marked: text nodes only. Under it,
  // the other papers that printed the same story, each a button that shows its own copy.
  function sourceBox(c, original) {
    var box = el("div", "source");
    box.dir = "auto";
    box.appendChild(el("b", null, "[" + c.n + "] " + c.title + (c.page ? " · p. " + c.page : "")));
    var parts = provenanceParts(c.provenance || {});
    if (parts.length) box.appendChild(partsLine("provenance", parts));
    appendQuoted(box, c);
    var top = original || c, all = [top].concat(top.copies || []);
    if (all.length > 1) {
      var also = el("span", "also", T.also + ": ");
      also.dir = rtl ? "rtl" : "ltr";
      all.forEach(function (copy) {
        if (copy === c) return;
        var b = el("button", null, provenanceParts(copy.provenance || {}).slice(0, 2).join(" · ") || copy.title);
        b.type = "button";
        b.addEventListener("click", function () {
          var other = sourceBox(copy === top ? top : Object.assign({}, copy, { n: top.n, quotes: [], quote_start: null }), top);
          other.setAttribute("data-n", String(top.n));
          box.replaceWith(other);
        });
        also.appendChild(b);
      });
      box.appendChild(also);
    }
    return box;
  }

  function appendQuoted(box, c) {
    var quotes = (c.quotes && c.quotes.length) ? c.quotes.slice() :
      (c.quote_start != null ? [[c.quote_start, c.quote_end]] : []);
    quotes = quotes.filter(function (q) { return q[0] >= c.start && q[1] <= c.end; })
      .sort(function (a, b) { return a[0] - b[0]; });
    var at = 0;
    quotes.forEach(function (q) {
      var s = q[0] - c.start, e = q[1] - c.start;
      if (s < at) return;
      box.appendChild(textNode(c.text.slice(at, s)));
      box.appendChild(el("mark", null, c.text.slice(s, e)));
      at = e;
    });
    box.appendChild(textNode(c.text.slice(at)));
  }

  // Every report of the quoted statement when their figures differ, newest first.
  function reportsBox(reports) {
    var box = el("div", "reports");
    box.dir = "auto";
    box.appendChild(el("b", null, T.differ));
    reports.forEach(function (r) {
      var parts = provenanceParts(r.provenance || {}).slice(0, 2);
      parts.push([(r.figures || []).join(", "), (r.names || []).join(" ")].filter(function (x) { return x; }).join("، "));
      box.appendChild(partsLine(null, parts));
    });
    return box;
  }

  // "Okaz", "11 Aug 2015", "the author", in the widget's language (as the page writes them).
  function provenanceParts(p) {
    var day = null, m = /^(\d{4})-(\d{2})-(\d{2})/.exec(p.published || "");
    if (m) day = parseInt(m[3], 10) + " " + (MONTHS[lang] || MONTHS.en)[parseInt(m[2], 10) - 1] + " " + m[1];
    return [p.outlet, day, p.author].filter(function (x) { return x; });
  }

  // Answer text with each [n] as a button that shows source n under the answer.
  function renderAnswer(node, text, citations) {
    node.textContent = "";
    var byN = {};
    (citations || []).forEach(function (c) { byN[c.n] = c; });
    var re = /\[(\d{1,3})\]/g, last = 0, m;
    while ((m = re.exec(text)) !== null) {
      node.appendChild(textNode(text.slice(last, m.index)));
      var c = byN[m[1]];
      if (c) {
        var b = el("button", "cite", "[" + m[1] + "]");
        b.type = "button";
        b.addEventListener("click", (function (cit) {
          return function () {
            var open = node.querySelector('.source[data-n="' + cit.n + '"]');
            if (open) { open.remove(); return; }
            var box = sourceBox(cit);
            box.setAttribute("data-n", String(cit.n));
            node.appendChild(box);
            box.scrollIntoView({ block: "nearest" });
          };
        })(c));
        node.appendChild(b);
      } else {
        node.appendChild(textNode(m[0]));
      }
      last = re.lastIndex;
    }
    node.appendChild(textNode(text.slice(last)));
  }

  // A finished answer: its notice, the lead, then the other quoted sentences under "more".
  function renderFinal(node, answer) {
    var text = answer.answer, lead = answer.lead || text;
    var rest = (lead !== text && text.indexOf(lead) >= 0) ? text.replace(lead, "").trim() : "";
    renderAnswer(node, (answer.notice ? answer.notice + "\n\n" : "") + (rest ? lead : text), answer.citations);
    if (rest) {
      var more = el("div", "more");
      more.appendChild(el("span", "more-label", T.more));
      var body = el("div");
      renderAnswer(body, rest, answer.citations);
      more.appendChild(body);
      node.appendChild(more);
    }
    if (answer.reports && answer.reports.length) node.appendChild(reportsBox(answer.reports));
  }

  function addMessage(cls, text) {
    var node = el("div", "msg " + cls, text);
    node.dir = "auto";
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
    return node;
  }

  function parseEvents(buffer, onEvent) {
    var parts = buffer.split("\n\n");
    var rest = parts.pop();
    parts.forEach(function (block) {
      var event = "message", data = "";
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) event = line.slice(6).trim();
        else if (line.indexOf("data:") === 0) data += line.slice(5).trim();
      });
      if (data) onEvent(event, JSON.parse(data));
    });
    return rest;
  }

  function ask(question) {
    busy = true;
    send.disabled = true;
    addMessage("user", question);
    var answerNode = addMessage("bot", "…");
    var text = "";
    var finished = false;
    function fail(message) {
      answerNode.className = "msg bot error";
      answerNode.textContent = shown(T.error + message);
    }
    // 401: nobody is signed in to the assistant in this browser; 403: this page's origin is not allowed.
    function refused(status) {
      answerNode.className = "msg bot error";
      answerNode.textContent = "";
      if (status === 403) {
        answerNode.appendChild(textNode(T.origin));
        return;
      }
      answerNode.appendChild(textNode(T.login));
      var link = el("a", null, base + "/login");
      link.href = base + "/login";
      link.target = "_blank";
      link.rel = "noopener";
      answerNode.appendChild(link);
    }
    fetch(base + "/api/ask/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "include",
      body: JSON.stringify({ question: question, history: history.slice(-4), outlets: outlets.length ? outlets : null,
                             since: since, until: until })
    }).then(function (res) {
      if (res.status === 401 || res.status === 403) {
        refused(res.status);
        finished = true;
        return;
      }
      if (!res.ok) {
        return res.text().then(function (body) {
          var detail = body;
          try { detail = JSON.parse(body).detail; } catch (e) { /* not JSON */ }
          throw new Error(res.status + " " + detail);
        });
      }
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return;
          buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }), function (event, data) {
            if (event === "delta") {
              text += data.text;
              answerNode.textContent = text;
            } else if (event === "answer") {
              finished = true;
              renderFinal(answerNode, data.answer);
              history.push([question, data.answer.answer]);
            } else if (event === "error") {
              fail(data.detail);
            }
          });
          log.scrollTop = log.scrollHeight;
          return pump();
        });
      }
      return pump();
    }).catch(function (err) {
      // A refused cross-origin request shows up here as a bare network error (its preflight
      // was refused): a plain GET tells a refusal (401/403, readable) from a real outage.
      return fetch(base + "/api/health", { credentials: "include" }).then(function (probe) {
        if (probe.status === 401 || probe.status === 403) refused(probe.status);
        else fail(err && err.message ? err.message : String(err));
      }, function () {
        fail(err && err.message ? err.message : String(err));
      });
    }).then(function () {
      if (!finished && answerNode.className.indexOf("error") < 0) fail("no answer");
      busy = false;
      send.disabled = false;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var q = input.value.trim();
    if (!q || busy) return;
    input.value = "";
    ask(q);
  });

  function mount() { document.body.appendChild(host); }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
