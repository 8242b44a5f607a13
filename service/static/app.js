// fiscal-extract web page: upload or paste, then an overview, findings with their evidence (the PDF
// page with a box around the figure, the table cell, or the passage), reviews, the checks run, the
// checklist, charts, a comparison with other years, tables and the annotated text; a library of the
// documents already read. No library and no request beyond this server.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { result: null, source: null, keysRequired: false, spans: null, pageUrls: new Map() };
  const DOC_TYPES = { final_accounts: "部门决算", budget: "部门预算", performance_evaluation: "绩效评价", unknown: "未识别" };
  const PHASES = { executed: "决算", budgeted: "预算", adjusted: "调整预算" };
  const SCOPES = { all_funds: "全部资金", fiscal_appropriation: "财政拨款", general_budget: "一般公共预算",
                   government_fund: "政府性基金", state_capital: "国有资本经营" };
  const statementOf = (row) => {
    const st = row.statement || {};
    return st.id === "prose" ? "正文" : [st.label, st.name].filter(Boolean).join(" ");
  };
  // where a line was read (the statement's number or name as printed, or 正文) and the money it covers
  const placed = (li) => {
    const st = li.statement || {};
    const where = st.id === "prose" ? "正文" : (st.label || st.name || "");
    return [where, SCOPES[li.scope] || ""].filter(Boolean).join(" · ");
  };
  const SEVERITY = { error: "错误", warning: "警告", info: "提示" };
  const REVIEW = { confirmed: "已确认", false_alarm: "误报", ignored: "忽略" };
  const STATUS = { passed: "未发现问题", failed: "发现问题", not_applicable: "不适用", skipped: "未检查" };
  const MEASURES = { beneficiaries: "受益人次/人数", funds: "资金", count: "数量" };
  const ERRORS = {
    E001: "文件或文本是空的。请选择有内容的文件，或粘贴文本后再试。",
    E002: "无法识别文件的文字编码。请将文件另存为 UTF-8 编码的文本，或上传 PDF、Word 原件。",
    E003: "不支持这种文件类型。请上传 PDF、Word、Excel、HTML 或 TXT 文件。",
    E004: "文件太大或内容过多。请拆分文件（例如按章节或表格）后分别上传。",
    E005: "请求格式有误。请重新选择文件或粘贴文本后再试。",
    E006: "文件已损坏、加密或无法读取。请上传未加密的原始文件，或另存一份后再试。",
    E007: "没有找到这份文件的结果（可能已被删除，或由其他密钥上传）。",
    E008: "处理时间过长已中止。请上传较小的文件，或稍后再试。",
    E009: "这是扫描件（没有文字层），服务器未安装文字识别（OCR）。请上传带文字的 PDF 或 Word 文件。",
    E010: "服务器缺少转换这种格式所需的软件。请将 .doc 另存为 .docx 或 PDF 后上传。",
    E011: "需要访问密钥。请在上方输入管理员提供的密钥。",
    E012: "访问密钥无效或已被撤销。请检查密钥，或向管理员申请新的密钥。",
    E013: "该访问密钥没有使用此功能的权限。请向管理员申请有“extract”权限的密钥。",
    E014: "请求过于频繁，请稍等片刻再试。",
    E017: "处理这份文件时程序出错（这是本服务的缺陷，已记录）。请稍后再试，或把文件发给维护者。",
  };

  // 万元 with two decimals and thousands separators, as finance users read them
  function wan(yuan) {
    if (yuan === null || yuan === undefined || yuan === "") return "";
    return (Number(yuan) / 10000).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function grouped(n) { return Number(n).toLocaleString("zh-CN", { maximumFractionDigits: 4 }); }
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
  async function api(path, options) {
    const r = await fetch(path, { ...(options || {}), headers: { ...headers(), ...((options || {}).headers || {}) } });
    if (!r.ok) {
      let problem = { detail: `HTTP ${r.status}` };
      try { problem = await r.json(); } catch (e) { /* not JSON */ }
      throw problem;
    }
    return r;
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
    history.replaceState(null, "", location.pathname);
  });
  $("api-key").addEventListener("change", () => sessionStorage.setItem("fiscal-key", $("api-key").value.trim()));

  $("form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const file = $("file").files[0];
    const text = $("text").value;
    if (!file && !text.trim()) { showError({ code: "E001" }); return; }
    if ($("api-key").value.trim()) sessionStorage.setItem("fiscal-key", $("api-key").value.trim());
    $("error").hidden = true; busy(file && /\.pdf$/i.test(file.name) ? "正在读取 PDF 的各页并核对，请稍候……" : "正在分析，请稍候……");
    try {
      let r;
      if (file && isPdf(file)) {
        state.source = file.name;
        await extractAsJob(file);
        return;
      }
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
      show(body);
    } catch (err) {
      showError({ detail: "无法连接到服务器：" + err.message + "。请检查网络后重试。" });
    } finally {
      idle();
    }
  });
  function isPdf(file) { return file.type === "application/pdf" || /\.pdf$/i.test(file.name); }

  // a PDF goes through the batch API, whose status says how many of its pages are read (a scan
  // of many pages is a count that moves, not a spinner), then its stored result is opened
  async function extractAsJob(file) {
    const body = new FormData(); body.append("files", file);
    let batch;
    try { batch = await (await api("/v1/batches", { method: "POST", body })).json(); } catch (p) { showError(p); return; }
    for (;;) {
      const item = batch.items[0];
      if (item.status === "failed") { showError(item.error || {}); return; }
      if (item.status === "done") { await reopen(item.sha256); return; }
      $("progress-text").textContent = item.pages_total
        ? `正在读取 PDF：第 ${item.pages_done || 0} / ${item.pages_total} 页……` : (item.status === "queued" ? "排队中……" : "正在分析，请稍候……");
      await new Promise((ok) => setTimeout(ok, 400));
      try { batch = await (await api(`/v1/batches/${batch.id}`)).json(); } catch (p) { showError(p); return; }
    }
  }

  function busy(message) { $("progress-text").textContent = message; $("progress").hidden = false; $("run").disabled = true; }
  function idle() { $("progress").hidden = true; $("run").disabled = false; }

  function showError(problem) {
    const box = $("error");
    box.textContent = (ERRORS[problem.code] || problem.detail || "出现了未知错误，请重试。")
      + (problem.code ? "（错误代码 " + problem.code + "）" : "");
    if (problem.code === "E011" || problem.code === "E012") $("key-row").hidden = false;
    box.hidden = false; box.focus();
  }

  // a result is shown, and its address kept, so that a reload reopens it from the store
  function show(res) {
    state.result = res;
    state.pageUrls.forEach((u) => URL.revokeObjectURL(u)); state.pageUrls.clear();
    if (!state.source) state.source = (res.document.source || {}).filename || "文件库";
    history.replaceState(null, "", "#doc=" + res.document.sha256);
    showView("check");
    render(res);
  }

  async function reopen(sha) {
    $("error").hidden = true; busy("正在打开文件库中的结果……");
    try {
      const r = await api(`/v1/documents/${sha}?include_text=true`);
      const res = await r.json();
      state.source = (res.document.source || {}).filename || "文件库";
      show(res);
    } catch (problem) { showView("check"); showError(problem); } finally { idle(); }
  }

  // ---------------------------------------------------------------- rendering
  function render(res) {
    $("results").hidden = false;
    $("evidence-view").hidden = true;
    const spans = annotate(res);
    state.spans = spans;
    renderSummary(res);
    renderOverview(res);
    renderFindings(res, spans);
    renderChecks(res);
    renderChecklist(res);
    renderCharts(res);
    renderCompare(res);
    renderTables(res, spans);
    document.getElementById("findings-title").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function renderSummary(res) {
    const d = res.document, r = d.region || {}, src = d.source || {};
    const rows = [["来源", state.source], ["类型", DOC_TYPES[d.doc_type] || d.doc_type], ["年度", d.fiscal_year || "未识别"],
                  ["单位", d.department || "未识别"], ["地区", [r.province, r.city, r.county].filter(Boolean).join(" ") || "未识别"],
                  ["字数", (d.chars || 0).toLocaleString("zh-CN") + (src.pages ? `，共 ${src.pages} 页` : "")],
                  ["提取", `${res.facts.length} 项财政指标，${res.line_items.length} 个科目，${res.quantities.length} 个数字`]];
    const dl = $("summary"); dl.replaceChildren();
    for (const [k, v] of rows) dl.append(el("dt", { text: k }), el("dd", { text: String(v) }));
  }

  function renderOverview(res) {
    const box = $("overview"); box.replaceChildren();
    const counts = { error: 0, warning: 0, info: 0 };
    for (const f of res.findings) counts[f.severity] += 1;
    const reviewed = res.findings.filter((f) => f.review).length;
    for (const [sev, n] of Object.entries(counts)) {
      const b = el("button", { type: "button", class: `count count-${sev}`, "data-severity": sev, "aria-label": `${SEVERITY[sev]} ${n} 项，点击筛选` },
                   el("strong", { text: String(n) }), el("span", { text: SEVERITY[sev] }));
      b.addEventListener("click", () => { $("filter-severity").value = $("filter-severity").value === sev ? "" : sev; applyFilters(); });
      box.append(b);
    }
    const checks = res.checks || [];
    const ran = checks.filter((c) => c.status === "passed" || c.status === "failed").length;
    box.append(el("p", { class: "muted", text: `已复核 ${reviewed} / ${res.findings.length} 项；运行了 ${ran} 条核查规则（共 ${checks.length} 条），详见“核查规则”。` }));
  }

  // table index -> the statement's printed name, from the facts and lines read in it
  function statements(res) {
    const names = new Map();
    for (const row of [...res.facts, ...res.line_items]) {
      const t = row.evidence.table, name = statementOf(row);
      if (t !== undefined && name && name !== "正文" && !names.has(t)) names.set(t, name);
    }
    return names;
  }

  function ruleLabel(res, rule) {
    const c = (res.checks || []).find((x) => x.rule === rule);
    return c ? c.label : rule;
  }

  function renderFindings(res, spans) {
    const list = $("findings"); list.replaceChildren();
    const order = { error: 0, warning: 1, info: 2 };
    const findings = [...res.findings].sort((a, b) => order[a.severity] - order[b.severity]);
    const names = statements(res);
    $("findings-empty").hidden = findings.length > 0;
    const rules = new Set(), used = new Set();
    findings.forEach((f, n) => {
      const where = [...new Set(f.evidence.map((ev) => names.get(ev.table)).filter(Boolean))];
      where.forEach((w) => used.add(w)); rules.add(f.rule);
      const li = el("li", { class: "finding f-" + f.severity, id: "finding-" + (f.id || n), "data-severity": f.severity,
                            "data-rule": f.rule, "data-statements": where.join("\n"), "data-review": (f.review || {}).state || "none" });
      li.append(el("span", { class: "sev " + f.severity, text: SEVERITY[f.severity] }),
                el("span", { class: "rule", text: ruleLabel(res, f.rule) }), document.createTextNode(f.message));
      const ea = expectedActual(f);
      if (ea) li.append(el("div", { class: "ea", text: ea }));
      const links = el("div", { class: "links" });
      f.evidence.forEach((ev, i) => {
        const id = spans.anchorFor(ev.start, ev.end);
        const label = [names.get(ev.table), ev.page ? `第${ev.page}页` : ""].filter(Boolean).join("，");
        const a = el("a", { href: "#" + id, "data-target": id, text: `原文位置 ${i + 1}` + (label ? `（${label}）` : "") });
        a.addEventListener("click", (e) => { e.preventDefault(); jump(id); });
        links.append(a);
      });
      if (f.evidence.length) {
        const open = el("button", { type: "button", class: "open-evidence no-print", text: "查看证据" });
        open.addEventListener("click", () => openEvidence(f, li));
        links.append(open);
      }
      li.append(links, reviewBox(f, li));
      list.append(li);
    });
    fillSelect($("filter-rule"), [...rules].map((r) => [r, ruleLabel(res, r)]));
    fillSelect($("filter-statement"), [...used].map((s) => [s, s]));
    applyFilters();
  }

  function fillSelect(select, options) {
    select.replaceChildren(el("option", { value: "", text: "全部" }));
    for (const [v, t] of options) select.append(el("option", { value: v, text: t }));
  }

  function applyFilters() {
    const sev = $("filter-severity").value, rule = $("filter-rule").value, st = $("filter-statement").value,
          rev = $("filter-review").value;
    let shownCount = 0;
    document.querySelectorAll("#findings > li").forEach((li) => {
      const ok = (!sev || li.dataset.severity === sev) && (!rule || li.dataset.rule === rule)
        && (!st || li.dataset.statements.split("\n").includes(st)) && (!rev || li.dataset.review === rev);
      li.hidden = !ok; shownCount += ok ? 1 : 0;
    });
    document.querySelectorAll("#overview .count").forEach((b) => b.classList.toggle("active", b.dataset.severity === sev));
    return shownCount;
  }
  ["filter-severity", "filter-rule", "filter-statement", "filter-review"].forEach((id) => $(id).addEventListener("change", applyFilters));

  // ---------------------------------------------------------------- review
  function reviewBox(f, li) {
    const box = el("div", { class: "review" });
    const status = el("span", { class: "review-state", "aria-live": "polite" });
    const note = el("input", { type: "text", class: "review-note no-print", placeholder: "复核意见（可选）", "aria-label": "复核意见" });
    const paint = () => {
      const r = f.review;
      status.textContent = r ? `复核：${REVIEW[r.state]}${r.note ? "：" + r.note : ""}` : "";
      status.className = "review-state" + (r ? " r-" + r.state : "");
      li.dataset.review = r ? r.state : "none";
      li.classList.toggle("reviewed", !!r);
      if (r && document.activeElement !== note) note.value = r.note || "";
    };
    box.append(status);
    if (!f.id) { paint(); return box; }
    const buttons = el("span", { class: "review-buttons no-print", role: "group", "aria-label": "复核" });
    for (const [state_, label] of [["confirmed", "确认"], ["false_alarm", "误报"], ["ignored", "忽略"], [null, "撤销"]]) {
      const b = el("button", { type: "button", "data-review": state_ || "clear", text: label });
      b.addEventListener("click", async () => {
        try {
          const r = await api(`/v1/documents/${state.result.document.sha256}/findings/${f.id}`, {
            method: "PATCH", headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ state: state_, note: note.value }) });
          const body = await r.json();
          if (body.finding.review) f.review = body.finding.review; else delete f.review;
          paint(); renderOverview(state.result); applyFilters();
        } catch (problem) { showError(problem); }
      });
      buttons.append(b);
    }
    box.append(note, buttons);
    paint();
    return box;
  }

  const RATE_RULES = new Set(["share_mismatch", "change_rate_mismatch", "completion_rate_mismatch", "implausible_completion_rate"]);
  const CONFLICTS = new Set(["conflicting_values", "text_table_mismatch", "cross_table_mismatch"]);
  function shown(rule, v) {
    if (v === null || v === undefined) return "—";
    if (RATE_RULES.has(rule)) return pct(v);
    return /^-?\d+(\.\d+)?$/.test(v) && Math.abs(Number(v)) >= 100 ? wan(v) + "万元" : v;
  }
  function expectedActual(f) {
    if (f.rule === "missing_required_item" || (f.expected === null && f.actual === null)) return "";
    if (CONFLICTS.has(f.rule)) return `一处：${shown(f.rule, f.expected)}　另一处：${shown(f.rule, f.actual)}`;
    return `按其他数字应为：${shown(f.rule, f.expected)}　文中：${shown(f.rule, f.actual)}`;
  }

  // ---------------------------------------------------------------- evidence: side by side
  async function openEvidence(f, li) {
    const view = $("evidence-view"), facts = $("evidence-facts"), source = $("evidence-source");
    const names = statements(state.result);
    view.hidden = false; view.dataset.finding = f.id || "";
    $("evidence-title").textContent = `证据：${ruleLabel(state.result, f.rule)}（${SEVERITY[f.severity]}）`;
    facts.replaceChildren(el("p", { text: f.message }));
    const ea = expectedActual(f);
    if (ea) facts.append(el("p", { class: "ea", text: ea }));
    const ol = el("ol", { class: "ev-quotes" });
    f.evidence.forEach((ev, i) => {
      const where = [names.get(ev.table), ev.page ? `第${ev.page}页` : "", ev.row !== undefined ? `第${ev.row + 1}行` : ""].filter(Boolean).join("，");
      const item = el("li", {}, el("q", { text: ev.text.split(/\s+/).join(" ") }), el("span", { class: "muted", text: where ? `（${where}）` : "" }));
      const b = el("button", { type: "button", class: "show-source", text: "显示" });
      b.addEventListener("click", () => showSource(f, i));
      item.append(" ", b);
      ol.append(item);
    });
    facts.append(ol);
    source.replaceChildren();
    view.scrollIntoView({ block: "start" });
    view.focus({ preventScroll: true });
    $("evidence-back").onclick = () => { view.hidden = true; li.scrollIntoView({ block: "center" }); li.querySelector(".open-evidence").focus(); };
    await showSource(f, 0);
  }

  async function showSource(f, index) {
    const ev = f.evidence[index], source = $("evidence-source");
    source.replaceChildren();
    const same = f.evidence.filter((e) => e.page && e.page === ev.page && e.bbox);
    if (ev.page && ev.bbox) return showPage(source, ev.page, same, ev);
    const table = ev.table !== undefined ? (state.result.document.tables || [])[ev.table] : null;
    if (table && ev.row !== undefined) return showTable(source, table, f.evidence.filter((e) => e.table === ev.table));
    return showPassage(source, f.evidence, ev);
  }

  async function pageImage(page) {
    const sha = state.result.document.sha256, key = `${sha}:${page}`;
    if (!state.pageUrls.has(key)) {
      const r = await api(`/v1/documents/${sha}/pages/${page}.png?scale=1.5`);
      state.pageUrls.set(key, { url: URL.createObjectURL(await r.blob()),
                                width: Number(r.headers.get("x-page-width")), height: Number(r.headers.get("x-page-height")) });
    }
    return state.pageUrls.get(key);
  }

  async function showPage(source, page, evidence, current) {
    // the boxes are placed in percent of a canvas exactly as large as the image, inside the scroller
    const canvas = el("div", { class: "page-canvas" });
    const wrap = el("div", { class: "page-view" }, canvas);
    source.append(el("p", { class: "muted", text: `第${page}页（红框为核查所用的数字）` }), wrap);
    try {
      const img = await pageImage(page);
      const image = el("img", { src: img.url, alt: `第${page}页`, class: "page-image", "data-page": String(page),
                                "data-width": String(img.width), "data-height": String(img.height) });
      canvas.append(image);
      for (const ev of evidence) {
        const [x0, y0, x1, y1] = ev.bbox;
        const box = el("div", { class: "ev-box" + (ev === current ? " current" : ""), "data-bbox": ev.bbox.join(","),
                                title: ev.text, "data-page": String(page) });
        box.style.left = (x0 / img.width * 100) + "%"; box.style.top = (y0 / img.height * 100) + "%";
        box.style.width = ((x1 - x0) / img.width * 100) + "%"; box.style.height = ((y1 - y0) / img.height * 100) + "%";
        canvas.append(box);
      }
      await image.decode().catch(() => {});
      const target = wrap.querySelector(".ev-box.current") || wrap.querySelector(".ev-box");
      if (target) target.scrollIntoView({ block: "center", inline: "center" });
    } catch (problem) {
      wrap.append(el("p", { class: "error", text: "无法显示该页：" + (problem.detail || problem.code || "") }));
    }
  }

  function showTable(source, table, evidence) {
    const cells = new Set(evidence.map((e) => `${e.row}:${e.col}`));
    const rows = new Set(evidence.map((e) => e.row));
    const grid = el("table", { class: "ev-table" });
    const from = Math.max(0, Math.min(...rows) - 3), to = Math.min(table.rows.length, Math.max(...rows) + 4);
    if (from > 0) grid.append(el("tr", {}, ...table.rows[0].map((c) => el("th", { text: c }))));
    table.rows.slice(from, to).forEach((row, k) => {
      const r = from + k;
      grid.append(el("tr", { class: rows.has(r) ? "hit-row" : "" },
                     ...row.map((c, j) => el("td", { class: cells.has(`${r}:${j}`) ? "hit" : "", text: c }))));
    });
    source.append(el("p", { class: "muted", text: `表格第 ${from + 1}–${to} 行（黄色为核查所用的单元格）` }), el("div", { class: "scroll" }, grid));
    const hit = grid.querySelector("td.hit");
    if (hit) hit.scrollIntoView({ block: "nearest", inline: "center" });
  }

  function showPassage(source, evidence, current) {
    const text = state.result.document.text || "";
    if (!text) { source.append(el("p", { class: "muted", text: "原文未保存。" })); return; }
    const from = Math.max(0, current.start - 160), to = Math.min(text.length, current.end + 160);
    const p = el("p", { class: "passage" });
    let pos = from;
    for (const ev of [...evidence].filter((e) => e.start < to && e.end > from).sort((a, b) => a.start - b.start)) {
      const s = Math.max(ev.start, pos), e = Math.min(ev.end, to);
      if (s < pos || e <= s) continue;
      p.append(document.createTextNode(text.slice(pos, s)), el("mark", { class: "flash", text: text.slice(s, e) }));
      pos = e;
    }
    p.append(document.createTextNode(text.slice(pos, to)));
    source.append(el("p", { class: "muted", text: "原文（标出核查所用的文字）" }), p);
  }

  // ---------------------------------------------------------------- checks and checklist
  function renderChecks(res) {
    const ul = $("checks"); ul.replaceChildren();
    for (const c of res.checks || []) {
      const li = el("li", { class: "check c-" + c.status, "data-rule": c.rule, "data-status": c.status },
                    el("span", { class: "status", text: STATUS[c.status] + (c.findings ? ` ${c.findings} 项` : "") }),
                    el("strong", { text: c.label }), el("span", { class: "muted", text: "：" + (c.reason || c.checks) }));
      ul.append(li);
    }
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

  // bar charts drawn as SVG, as wide as their box so that the text keeps its size on a phone
  function bars(container, rows, label) {
    container.replaceChildren();
    if (!rows.length) { container.append(el("p", { class: "muted", text: "文件中没有可画图的数据。" })); return; }
    const w = Math.max(280, Math.min(720, container.clientWidth || 560));
    const max = Math.max(...rows.map((r) => r.value)) || 1, h = 26, lw = Math.min(190, Math.round(w * 0.36)), vw = 96;
    const chars = Math.max(5, Math.floor(lw / 13));
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${w} ${rows.length * h + 6}`); svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label + "：" + rows.map((r) => `${r.name} ${wan(r.value)}万元`).join("，"));
    svg.setAttribute("width", "100%");
    rows.forEach((r, i) => {
      const y = i * h + 4, bw = Math.max(2, (w - lw - vw) * r.value / max);
      const t = document.createElementNS(ns, "text");
      t.setAttribute("x", 0); t.setAttribute("y", y + 15); t.setAttribute("font-size", 12);
      t.textContent = r.name.length > chars ? r.name.slice(0, chars - 1) + "…" : r.name;
      const title = document.createElementNS(ns, "title"); title.textContent = `${r.name} ${wan(r.value)}万元`;
      const rect = document.createElementNS(ns, "rect");
      rect.setAttribute("x", lw); rect.setAttribute("y", y + 3); rect.setAttribute("width", bw); rect.setAttribute("height", h - 10);
      rect.setAttribute("fill", i % 2 ? "#5b8def" : "#1f5fbf"); rect.append(title);
      const v = document.createElementNS(ns, "text");
      v.setAttribute("x", lw + bw + 4); v.setAttribute("y", y + 15); v.setAttribute("font-size", 12); v.textContent = wan(r.value);
      svg.append(t, rect, v);
    });
    container.append(svg);
  }

  function renderCharts(res) {
    const byClass = new Map();
    for (const li of res.line_items) {
      if (li.level === "class" && !byClass.has(li.class)) byClass.set(li.class, Number(li.amount));
    }
    bars($("chart-classes"), [...byClass].map(([name, value]) => ({ name, value })).sort((a, b) => b.value - a.value), "按类的支出（万元）");
    const pick = (c) => res.facts.find((f) => f.concept === c && f.phase === (res.facts[0] || {}).phase) || res.facts.find((f) => f.concept === c);
    const parts = [["基本支出", pick("expenditure.basic")], ["项目支出", pick("expenditure.project")]]
      .filter(([, f]) => f).map(([name, f]) => ({ name, value: Number(f.value) }));
    bars($("chart-basic"), parts, "基本支出与项目支出（万元）");
  }

  // ---------------------------------------------------------------- comparison
  async function renderCompare(res) {
    const pick = $("compare-with");
    $("compare-table").hidden = true; $("compare-pick").hidden = true; $("compare-none").hidden = false;
    $("compare-summary").textContent = "";
    let items = [];
    try { items = (await (await api(`/v1/documents/${res.document.sha256}/related`)).json()).items; } catch (e) { return; }
    if (state.result !== res || !items.length) return;
    pick.replaceChildren(...items.map((it) => el("option", { value: it.sha256,
      text: `${it.fiscal_year || "年度不明"} ${DOC_TYPES[it.doc_type] || ""}${it.filename ? "（" + it.filename + "）" : ""}` })));
    $("compare-none").hidden = true; $("compare-pick").hidden = false;
    pick.onchange = () => compareWith(res, pick.value);
    await compareWith(res, items[0].sha256);
  }

  async function compareWith(res, other) {
    let body;
    try { body = await (await api(`/v1/documents/${res.document.sha256}/compare/${other}`)).json(); } catch (p) { showError(p); return; }
    const name = (s) => `${s.fiscal_year || ""} ${s.doc_type_label || ""}${s.phase_label ? "（" + s.phase_label + "数）" : ""}`;
    $("compare-a").textContent = "本文件 " + name(body.a); $("compare-b").textContent = name(body.b);
    const tbody = $("compare-table").tBodies[0]; tbody.replaceChildren();
    for (const r of body.rows) {
      const money = r.unit === "CNY";
      const v = (x) => x === null ? "—" : (money ? wan(x) : grouped(x) + r.unit);
      const tr = el("tr", { class: r.differs ? "differs" : "" },
                    el("td", { text: r.label }), el("td", { class: "num", text: v(r.a) }), el("td", { class: "num", text: v(r.b) }),
                    el("td", { class: "num", text: r.difference === null ? "" : (money ? wan(r.difference) : grouped(r.difference)) }),
                    el("td", { class: "num", text: r.rate === null ? (r.a === null || r.b === null ? "仅一方列出" : "") : pct(r.rate) }));
      tbody.append(tr);
    }
    $("compare-table").hidden = false;
    $("compare-summary").textContent = `${body.rows.length} 项中 ${body.differences} 项不同（已标出）。`;
  }

  // ---------------------------------------------------------------- tables
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
      const ch = f.change ? `${{ increase: "增加", decrease: "减少", flat: "持平" }[f.change.direction]}${f.change.amount && f.change.direction !== "flat" ? " " + (money ? wan(f.change.amount) + "万元" : grouped(f.change.amount) + f.unit) : ""}${f.change.rate && f.change.direction !== "flat" ? " " + pct(f.change.rate) : ""}` : "";
      // a count (编制8人, 车辆3辆) stands in the count column, never in a money column
      facts.append(row([f.label, { num: 1, text: money ? wan(f.value) : "" }, { num: 1, text: money ? grouped(f.value) : "" },
                        { num: 1, text: money ? "" : grouped(f.value) + f.unit },
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
    for (const f of res.facts) conceptAt.set(f.evidence.end, f.label);
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
          const tip = cls === "fact" ? `${f.label} = ${Number(f.value).toLocaleString("zh-CN")} ${f.unit === "CNY" ? "元" : f.unit}`
                                     : `${f.function_code || "无编码"} ${[f.class, f.kind, f.item].filter(Boolean).join(" / ")} = ${Number(f.amount).toLocaleString("zh-CN")} 元`;
          spans.push({ start, end, cls, tip });
        }
      }
    }
    spans.sort((a, b) => a.start - b.start || b.end - a.end);
    const box = $("doc-text"); box.replaceChildren();
    let pos = 0, n = 0;
    const frag = document.createDocumentFragment();
    const marks = [];
    for (const s of spans) {
      if (s.start < pos) continue;
      frag.append(document.createTextNode(text.slice(pos, s.start)));
      const m = el("mark", { class: s.cls, id: "m" + (n++), tabindex: "0", "data-tip": s.tip, title: s.tip,
                             "data-start": s.start, "data-end": s.end });
      m.textContent = text.slice(s.start, s.end);
      frag.append(m); marks.push({ start: s.start, end: s.end, id: m.id });
      pos = s.end;
    }
    frag.append(document.createTextNode(text.slice(pos)));
    box.append(frag);
    return {
      anchorFor(start, end) {
        // the highlight inside the span that ends last (the amount of a fact), else any overlapping one
        const inside = marks.filter((p) => p.start >= start && p.end <= end);
        const hit = inside.length ? inside[inside.length - 1] : marks.find((p) => p.start < end && start < p.end);
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
  const EXPORTS = { csv: "facts.csv", xlsx: "facts.xlsx" };
  document.querySelectorAll("[data-download]").forEach((b) => b.addEventListener("click", async () => {
    const res = state.result; if (!res) return;
    const kind = b.dataset.download, sha = res.document.sha256;
    let blob, name;
    if (kind === "json") {
      blob = new Blob([JSON.stringify(res, null, 2)], { type: "application/json" });
      name = [res.document.department || sha.slice(0, 12), res.document.fiscal_year].filter(Boolean).join("-") + ".json";
    } else {
      let r;
      for (let i = 0; i < 20; i++) {      // the result is stored just after it is answered
        r = await fetch(`/v1/documents/${sha}/${EXPORTS[kind] || kind}`, { headers: headers() });
        if (r.status !== 404) break;
        await new Promise((ok) => setTimeout(ok, 150));
      }
      if (!r.ok) { showError(await r.json()); return; }
      blob = await r.blob(); name = downloadName(r.headers.get("content-disposition")) || `${sha.slice(0, 12)}-${kind}`;
    }
    const a = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(a); a.click(); a.remove();
  }));
  function downloadName(disposition) {
    const m = /filename\*=UTF-8''([^;]+)/i.exec(disposition || "");
    if (m) return decodeURIComponent(m[1]);
    const plain = /filename="([^"]+)"/i.exec(disposition || "");
    return plain ? plain[1] : null;
  }
  $("print").addEventListener("click", () => window.print());

  // ---------------------------------------------------------------- library
  function showView(view) {
    const library = view === "library";
    $("library").hidden = !library; $("input").hidden = library;
    $("results").hidden = library || !state.result;
    $("tab-library").toggleAttribute("aria-current", library); $("tab-check").toggleAttribute("aria-current", !library);
    if (library) $("tab-library").setAttribute("aria-current", "page"); else $("tab-check").setAttribute("aria-current", "page");
  }
  $("tab-library").addEventListener("click", (e) => { e.preventDefault(); history.replaceState(null, "", "#library"); showView("library"); searchLibrary(); });
  $("tab-check").addEventListener("click", (e) => {
    e.preventDefault(); showView("check");
    history.replaceState(null, "", state.result ? "#doc=" + state.result.document.sha256 : location.pathname);
  });
  $("lib-form").addEventListener("submit", (e) => { e.preventDefault(); searchLibrary(); });

  async function searchLibrary() {
    const q = new URLSearchParams({ limit: "100" });
    for (const [id, key] of [["lib-q", "q"], ["lib-region", "region"], ["lib-year", "year"], ["lib-type", "doc_type"]]) {
      const v = $(id).value.trim(); if (v) q.set(key, v);
    }
    let page;
    try { page = await (await api("/v1/documents?" + q)).json(); } catch (p) { showError(p); return; }
    $("lib-count").textContent = `共 ${page.total} 份文件` + (page.total > page.items.length ? `，显示前 ${page.items.length} 份` : "");
    const tbody = $("library-table").tBodies[0]; tbody.replaceChildren();
    for (const it of page.items) {
      const r = it.region || {}, c = it.findings || {};
      const open = el("button", { type: "button", class: "open-doc", "data-sha": it.sha256, text: "打开" });
      open.addEventListener("click", () => reopen(it.sha256));
      tbody.append(el("tr", { "data-sha": it.sha256 },
        el("td", { text: it.department || "（未识别）" }), el("td", { text: String(it.fiscal_year || "") }),
        el("td", { text: DOC_TYPES[it.doc_type] || "" }), el("td", { text: [r.province, r.city, r.county].filter(Boolean).join(" ") }),
        el("td", { text: it.filename || it.source_url || "" }), el("td", { class: "num", text: it.pages ? String(it.pages) : "" }),
        el("td", { text: it.findings ? `错误 ${c.error || 0}，警告 ${c.warning || 0}` : "" }),
        el("td", { class: "num", text: String(it.reviewed || 0) }), el("td", {}, open)));
    }
  }

  // several files at once, through the batches API, with each file's progress
  $("batch-run").addEventListener("click", async () => {
    const files = [...$("batch-files").files];
    if (!files.length) return;
    const body = new FormData();
    files.forEach((f) => body.append("files", f));
    const list = $("batch-items"); list.replaceChildren();
    let batch;
    try { batch = await (await api("/v1/batches", { method: "POST", body })).json(); } catch (p) { showError(p); return; }
    const LABELS = { queued: "排队中", running: "分析中", done: "完成", failed: "失败" };
    for (;;) {
      list.replaceChildren(...batch.items.map((it) => {
        const pages = it.pages_total ? `（第 ${it.pages_done || 0} / ${it.pages_total} 页）` : "";
        const li = el("li", { class: "b-" + it.status, "data-status": it.status },
                      el("span", { text: `${it.filename || "文件 " + (it.position + 1)}：${LABELS[it.status] || it.status}${it.status === "running" ? pages : ""}` }));
        if (it.status === "done" && it.sha256) {
          const open = el("button", { type: "button", text: "打开" }); open.addEventListener("click", () => reopen(it.sha256)); li.append(" ", open);
        }
        if (it.status === "failed" && it.error) li.append(el("span", { class: "muted", text: " " + (ERRORS[it.error.code] || it.error.detail || "") }));
        return li;
      }));
      if (batch.status === "done") break;
      await new Promise((ok) => setTimeout(ok, 700));
      try { batch = await (await api(`/v1/batches/${batch.id}`)).json(); } catch (p) { showError(p); return; }
    }
    searchLibrary();
  });

  // ---------------------------------------------------------------- start
  $("error").setAttribute("tabindex", "-1");
  loadConfig().then(() => {
    const m = /^#doc=([0-9a-f]{64})$/.exec(location.hash);
    if (m) reopen(m[1]);
    else if (location.hash === "#library") { showView("library"); searchLibrary(); }
  });
})();
