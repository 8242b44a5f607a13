// fiscal-extract web page: upload or paste, then findings, checklist, charts, tables, annotated text.
// No library and no request beyond this server.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { result: null, source: null, keysRequired: false };
  const DOC_TYPES = { final_accounts: "部门决算", budget: "部门预算", performance_evaluation: "绩效评价", unknown: "未识别" };
  const PHASES = { executed: "决算", budgeted: "预算", adjusted: "调整预算" };
  const SCOPES = { all_funds: "全部资金", fiscal_appropriation: "财政拨款", general_budget: "一般公共预算",
                   government_fund: "政府性基金", state_capital: "国有资本经营" };
  // where a line was read (the statement's number or name as printed, or 正文) and the money it covers
  const placed = (li) => {
    const st = li.statement || {};
    const where = st.id === "prose" ? "正文" : (st.label || st.name || "");
    return [where, SCOPES[li.scope] || ""].filter(Boolean).join(" · ");
  };
  const LEVELS = { class: "类", kind: "款", item: "项" };
  const SEVERITY = { error: "错误", warning: "警告", info: "提示" };
  const MEASURES = { beneficiaries: "受益人次/人数", funds: "资金", count: "数量" };
  const ERRORS = {
    E001: "文件或文本是空的。请选择有内容的文件，或粘贴文本后再试。",
    E002: "无法识别文件的文字编码。请将文件另存为 UTF-8 编码的文本，或上传 PDF、Word 原件。",
    E003: "不支持这种文件类型。请上传 PDF、Word、Excel、HTML 或 TXT 文件。",
    E004: "文件太大或内容过多。请拆分文件（例如按章节或表格）后分别上传。",
    E005: "请求格式有误。请重新选择文件或粘贴文本后再试。",
    E006: "文件已损坏、加密或无法读取。请上传未加密的原始文件，或另存一份后再试。",
    E008: "处理时间过长已中止。请上传较小的文件，或稍后再试。",
    E009: "这是扫描件（没有文字层），服务器未安装文字识别（OCR）。请上传带文字的 PDF 或 Word 文件。",
    E010: "服务器缺少转换这种格式所需的软件。请将 .doc 另存为 .docx 或 PDF 后上传。",
    E011: "需要访问密钥。请在上方输入管理员提供的密钥。",
    E012: "访问密钥无效或已被撤销。请检查密钥，或向管理员申请新的密钥。",
    E013: "该访问密钥没有使用此功能的权限。请向管理员申请有“extract”权限的密钥。",
    E014: "请求过于频繁，请稍等片刻再试。",
    E017: "处理这份文件时程序出错（这是本服务的缺陷，已记录）。请稍后再试，或把文件发给维护者。",
  };

  function wan(yuan) {
    if (yuan === null || yuan === undefined) return "";
    const n = Number(yuan) / 10000;
    return n.toLocaleString("zh-CN", { maximumFractionDigits: 6 });
  }
  function pct(fraction) { return fraction === null || fraction === undefined ? "" : (Number(fraction) * 100).toFixed(2).replace(/\.?0+$/, "") + "%"; }
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  }
  function headers() {
    const key = sessionStorage.getItem("fiscal-key") || $("api-key").value.trim();
    return key ? { Authorization: "Bearer " + key } : {};
  }

  async function loadConfig() {
    try {
      const r = await fetch("/v1/config");
      const cfg = await r.json();
      state.keysRequired = cfg.keys_required;
      $("key-row").hidden = !cfg.keys_required;
      $("api-key").value = sessionStorage.getItem("fiscal-key") || "";
    } catch (e) { /* the page still works; errors show on submit */ }
  }

  // ---------------------------------------------------------------- input
  const drop = $("drop");
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (e) => {
    if (e.dataTransfer.files.length) { $("file").files = e.dataTransfer.files; showFile(); }
  });
  $("file").addEventListener("change", showFile);
  function showFile() { const f = $("file").files[0]; $("file-name").textContent = f ? "已选择：" + f.name : ""; }
  $("clear").addEventListener("click", () => {
    $("file").value = ""; $("text").value = ""; showFile(); $("results").hidden = true; $("error").hidden = true;
  });
  $("api-key").addEventListener("change", () => sessionStorage.setItem("fiscal-key", $("api-key").value.trim()));

  $("form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const file = $("file").files[0];
    const text = $("text").value;
    if (!file && !text.trim()) { showError({ code: "E001" }); return; }
    if ($("api-key").value.trim()) sessionStorage.setItem("fiscal-key", $("api-key").value.trim());
    $("error").hidden = true; $("progress").hidden = false; $("run").disabled = true;
    try {
      let r;
      if (file) {
        const body = new FormData(); body.append("file", file);
        r = await fetch("/v1/extract", { method: "POST", body, headers: headers() });
        state.source = file.name;
      } else {
        r = await fetch("/v1/extract", { method: "POST", headers: { "Content-Type": "application/json", ...headers() },
                                         body: JSON.stringify({ text, filename: null }) });
        state.source = "粘贴的文本";
      }
      const body = await r.json();
      if (!r.ok) { showError(body); return; }
      state.result = body;
      render(body);
    } catch (err) {
      showError({ detail: "无法连接到服务器：" + err.message + "。请检查网络后重试。" });
    } finally {
      $("progress").hidden = true; $("run").disabled = false;
    }
  });

  function showError(problem) {
    const box = $("error");
    box.textContent = (ERRORS[problem.code] || problem.detail || "出现了未知错误，请重试。")
      + (problem.code ? "（错误代码 " + problem.code + "）" : "");
    if (problem.code === "E011" || problem.code === "E012") $("key-row").hidden = false;
    box.hidden = false; box.focus();
  }

  // ---------------------------------------------------------------- rendering
  function render(res) {
    $("results").hidden = false;
    const spans = annotate(res);
    renderSummary(res);
    renderFindings(res, spans);
    renderChecklist(res);
    renderCharts(res);
    renderTables(res, spans);
    document.getElementById("findings-title").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function renderSummary(res) {
    const d = res.document, r = d.region || {};
    const rows = [["来源", state.source], ["类型", DOC_TYPES[d.doc_type] || d.doc_type], ["年度", d.fiscal_year || "未识别"],
                  ["单位", d.department || "未识别"], ["地区", [r.province, r.city, r.county].filter(Boolean).join(" ") || "未识别"],
                  ["字数", d.chars.toLocaleString("zh-CN")],
                  ["提取", `${res.facts.length} 项财政指标，${res.line_items.length} 个科目，${res.quantities.length} 个数字`]];
    const dl = $("summary"); dl.replaceChildren();
    for (const [k, v] of rows) dl.append(el("dt", { text: k }), el("dd", { text: String(v) }));
  }

  function renderFindings(res, spans) {
    const list = $("findings"); list.replaceChildren();
    const order = { error: 0, warning: 1, info: 2 };
    const findings = [...res.findings].sort((a, b) => order[a.severity] - order[b.severity]);
    $("findings-empty").hidden = findings.length > 0;
    for (const f of findings) {
      const li = el("li", { class: "finding f-" + f.severity });
      li.append(el("span", { class: "sev " + f.severity, text: SEVERITY[f.severity] }), document.createTextNode(f.message));
      if (f.expected !== null || f.actual !== null) li.append(el("div", { class: "ea", text: expectedActual(f) }));
      const links = el("div", { class: "links" });
      f.evidence.forEach((ev, i) => {
        const id = spans.anchorFor(ev.start, ev.end);
        const a = el("a", { href: "#" + id, "data-target": id, text: `原文位置 ${i + 1}` + (ev.page ? `（第${ev.page}页）` : "") });
        a.addEventListener("click", (e) => { e.preventDefault(); jump(id); });
        links.append(a);
      });
      li.append(links);
      list.append(li);
    }
  }

  const RATE_RULES = new Set(["share_mismatch", "change_rate_mismatch", "completion_rate_mismatch", "implausible_completion_rate"]);
  const CONFLICTS = new Set(["conflicting_values", "text_table_mismatch", "cross_table_mismatch"]);
  function shown(rule, v) {
    if (v === null || v === undefined) return "—";
    if (RATE_RULES.has(rule)) return pct(v);
    return /^-?\d+(\.\d+)?$/.test(v) && Math.abs(Number(v)) >= 100 ? wan(v) + "万元" : v;
  }
  function expectedActual(f) {
    if (CONFLICTS.has(f.rule)) return `一处：${shown(f.rule, f.expected)}　另一处：${shown(f.rule, f.actual)}`;
    if (f.rule === "missing_required_item") return "";
    return `按其他数字应为：${shown(f.rule, f.expected)}　文中：${shown(f.rule, f.actual)}`;
  }

  function renderChecklist(res) {
    const ul = $("checklist"); ul.replaceChildren();
    $("checklist-na").hidden = res.disclosure_checklist.length > 0;
    for (const c of res.disclosure_checklist) {
      const cls = c.applicable === false ? "na" : (c.present ? "yes" : "no");
      const title = c.applicable === false ? "不适用" : (c.present ? "已公开" : "未找到");
      ul.append(el("li", { class: cls, title, text: c.label }));
    }
  }

  // bar charts drawn as SVG
  function bars(container, rows, label) {
    container.replaceChildren();
    if (!rows.length) { container.append(el("p", { class: "muted", text: "文件中没有可画图的数据。" })); return; }
    const max = Math.max(...rows.map((r) => r.value)) || 1, h = 26, w = 560, lw = 190;
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${w} ${rows.length * h + 6}`); svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label + "：" + rows.map((r) => `${r.name} ${wan(r.value)}万元`).join("，"));
    svg.setAttribute("width", "100%");
    rows.forEach((r, i) => {
      const y = i * h + 4, bw = Math.max(2, (w - lw - 90) * r.value / max);
      const t = document.createElementNS(ns, "text");
      t.setAttribute("x", 0); t.setAttribute("y", y + 15); t.setAttribute("font-size", 12); t.textContent = r.name.slice(0, 14);
      const rect = document.createElementNS(ns, "rect");
      rect.setAttribute("x", lw); rect.setAttribute("y", y + 3); rect.setAttribute("width", bw); rect.setAttribute("height", h - 10);
      rect.setAttribute("fill", i % 2 ? "#5b8def" : "#1f5fbf");
      const v = document.createElementNS(ns, "text");
      v.setAttribute("x", lw + bw + 4); v.setAttribute("y", y + 15); v.setAttribute("font-size", 12); v.textContent = wan(r.value) + "万元";
      svg.append(t, rect, v);
    });
    container.append(svg);
  }

  function renderCharts(res) {
    const byClass = new Map();
    for (const li of res.line_items) {
      if (li.level === "class" && !byClass.has(li.class)) byClass.set(li.class, Number(li.amount));
    }
    bars($("chart-classes"), [...byClass].map(([name, value]) => ({ name, value })).sort((a, b) => b.value - a.value), "按类的支出");
    const pick = (c) => res.facts.find((f) => f.concept === c && f.phase === (res.facts[0] || {}).phase) || res.facts.find((f) => f.concept === c);
    const parts = [["基本支出", pick("expenditure.basic")], ["项目支出", pick("expenditure.project")]]
      .filter(([, f]) => f).map(([name, f]) => ({ name, value: Number(f.value) }));
    bars($("chart-basic"), parts, "基本支出与项目支出");
  }

  function renderTables(res, spans) {
    const link = (ev) => {
      const id = spans.anchorFor(ev.start, ev.end);
      const a = el("a", { href: "#" + id, text: ev.page ? `第${ev.page}页` : "查看" });
      a.addEventListener("click", (e) => { e.preventDefault(); jump(id); });
      return a;
    };
    const row = (cells, ev) => {
      const tr = el("tr");
      for (const c of cells) tr.append(el("td", c.num ? { class: "num", text: c.text } : { text: c.text ?? c }));
      const td = el("td"); td.append(link(ev)); tr.append(td);
      return tr;
    };
    const facts = $("facts-table").tBodies[0]; facts.replaceChildren();
    for (const f of res.facts) {
      const money = f.unit === "CNY";
      const ch = f.change ? `${{ increase: "增加", decrease: "减少", flat: "持平" }[f.change.direction]}${f.change.amount && f.change.direction !== "flat" ? " " + wan(f.change.amount) + "万元" : ""}${f.change.rate && f.change.direction !== "flat" ? " " + pct(f.change.rate) : ""}` : "";
      facts.append(row([f.label, { num: 1, text: money ? wan(f.value) : f.value + f.unit }, { num: 1, text: money ? Number(f.value).toLocaleString("zh-CN") : "" },
                        String(f.fiscal_year ?? ""), PHASES[f.phase] || f.phase, pct(f.share), ch], f.evidence));
    }
    const items = $("items-table").tBodies[0]; items.replaceChildren();
    for (const li of res.line_items) {
      items.append(row([li.function_code || "—", li.class || "", li.kind || "", li.item || "", { num: 1, text: wan(li.amount) },
                        pct(li.budget_completion_rate), placed(li)], li.evidence));
    }
    const inds = $("indicators-table").tBodies[0]; inds.replaceChildren();
    for (const ind of res.indicators) {
      inds.append(row([ind.subject, MEASURES[ind.measure] || ind.measure, ind.quantity.text], ind.evidence));
    }
  }

  // ---------------------------------------------------------------- annotated text
  function annotate(res) {
    const text = res.document.text || "";
    const spans = [];
    const conceptAt = new Map();
    for (const f of res.facts) conceptAt.set(f.evidence.end, f.label + "（" + f.concept + "）");
    for (const li of res.line_items) conceptAt.set(li.evidence.end, [li.function_code, li.item || li.kind || li.class].filter(Boolean).join(" "));
    for (const q of res.quantities) {
      const kind = q.kind === "money" ? "money" : q.kind === "count" ? "count" : q.kind.startsWith("percent") ? "percent" : "money";
      const shown = q.kind === "money" ? `${q.text} = ${Number(q.value).toLocaleString("zh-CN")} 元` :
        q.kind === "percent" ? `${q.text} = ${q.value}` : `${q.text} = ${q.value} ${q.unit || ""}`;
      const concept = conceptAt.get(q.end);
      spans.push({ start: q.start, end: q.end, cls: kind, tip: shown + (concept ? " · " + concept : "") });
    }
    const covered = (s, e) => spans.some((x) => x.start < e && s < x.end);
    for (const [list, cls] of [[res.facts, "fact"], [res.line_items, "line"]]) {
      for (const f of list) {
        // the term before the amount; the amount is already a quantity highlight
        let end = f.evidence.end;
        for (const q of res.quantities) if (q.start >= f.evidence.start && q.start < end) end = q.start;
        const start = f.evidence.start;
        if (end > start && !covered(start, end)) {
          const tip = cls === "fact" ? `${f.label}（${f.concept}）= ${Number(f.value).toLocaleString("zh-CN")} ${f.unit === "CNY" ? "元" : f.unit}`
                                     : `${f.function_code || "无编码"} ${[f.class, f.kind, f.item].filter(Boolean).join(" / ")} = ${Number(f.amount).toLocaleString("zh-CN")} 元`;
          spans.push({ start, end, cls, tip });
        }
      }
    }
    spans.sort((a, b) => a.start - b.start || b.end - a.end);
    const box = $("doc-text"); box.replaceChildren();
    let pos = 0, n = 0;
    const frag = document.createDocumentFragment();
    const placed = [];
    for (const s of spans) {
      if (s.start < pos) continue;
      frag.append(document.createTextNode(text.slice(pos, s.start)));
      const m = el("mark", { class: s.cls, id: "m" + (n++), tabindex: "0", "data-tip": s.tip, title: s.tip,
                             "data-start": s.start, "data-end": s.end });
      m.textContent = text.slice(s.start, s.end);
      frag.append(m); placed.push({ start: s.start, end: s.end, id: m.id });
      pos = s.end;
    }
    frag.append(document.createTextNode(text.slice(pos)));
    box.append(frag);
    return {
      anchorFor(start, end) {
        // the highlight inside the span that ends last (the amount of a fact), else any overlapping one
        const inside = placed.filter((p) => p.start >= start && p.end <= end);
        const hit = inside.length ? inside[inside.length - 1] : placed.find((p) => p.start < end && start < p.end);
        return hit ? hit.id : "doc-text";
      },
    };
  }

  function jump(id) {
    const target = document.getElementById(id);
    if (!target) return;
    document.querySelectorAll("mark.flash").forEach((m) => m.classList.remove("flash"));
    target.classList.add("flash");
    target.scrollIntoView({ behavior: "smooth", block: "center" });
    target.focus({ preventScroll: true });
  }

  // ---------------------------------------------------------------- downloads
  document.querySelectorAll("[data-download]").forEach((b) => b.addEventListener("click", async () => {
    const res = state.result; if (!res) return;
    const kind = b.dataset.download, sha = res.document.sha256;
    let blob, name;
    if (kind === "json") {
      blob = new Blob([JSON.stringify(res, null, 2)], { type: "application/json" }); name = sha.slice(0, 12) + ".json";
    } else {
      let r;
      for (let i = 0; i < 20; i++) {      // the result is stored just after it is answered
        r = await fetch(`/v1/documents/${sha}/facts.${kind}`, { headers: headers() });
        if (r.status !== 404) break;
        await new Promise((ok) => setTimeout(ok, 150));
      }
      if (!r.ok) { showError(await r.json()); return; }
      blob = await r.blob(); name = `${sha.slice(0, 12)}-facts.${kind}`;
    }
    const a = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(a); a.click(); a.remove();
  }));

  $("error").setAttribute("tabindex", "-1");
  loadConfig();
})();
