/* The screens. Each returns a DOM node; app.js puts it in <main> and moves focus to its heading. */
(function () {
  "use strict";
  const BD = self.BD;
  const A = () => self.App;
  const h = (...args) => self.App.h(...args);

  function offlineNote(result) {
    return result.fromCache ? h("p", { class: "muted" }, "Bản đã tải về (đang ngoại tuyến).") : null;
  }

  function failure(title, result) {
    const text = result.offline
      ? "Chưa có kết nối mạng và nội dung này chưa được tải về máy."
      : A().reasonText((result.error && result.error.code) || "server_error");
    return h("div", {}, h("h1", {}, title), h("p", {}, text), h("p", {}, h("a", { href: "#/" }, "Về danh sách khóa học")));
  }

  function progressBar(done, total, label) {
    return h("div", {},
      h("p", { class: "muted" }, `${label}: ${done}/${total} bài`),
      h("progress", { max: String(total || 1), value: String(done), "aria-label": `${label}: ${done} trên ${total} bài` }));
  }

  /* The next thing to do in the outline's order: a module's lessons, then its quiz, then the next module. */
  function nextStep(detail, state) {
    for (const module of detail.outline) {
      const lesson = module.lessons.find((l) => !state.done.has(l.slug));
      if (lesson) return { href: `#/khoa/${detail.slug}/bai/${lesson.slug}`, label: state.done.size ? "Học bài tiếp theo" : "Bắt đầu học", kind: "lesson" };
      if (module.quiz && !state.passed.has(module.quiz.id)) {
        return { href: `#/khoa/${detail.slug}/kiem-tra/${module.quiz.id}`, label: `Làm bài kiểm tra: ${module.quiz.title}`, kind: "quiz" };
      }
    }
    return null;
  }

  /* ---------- course list ---------- */
  async function courses() {
    const list = await A().api("/courses", { remember: true });
    if (!list.ok) return failure("Khóa học", list);
    const progress = await A().api("/me/progress", { auth: true, remember: "me" });
    const byCourse = new Map(progress.ok ? progress.data.courses.map((c) => [c.course, c]) : []);
    const downloads = new Set(await (await BD.db()).getAllKeys("downloads"));
    const local = new Map(await Promise.all(list.data.courses.map(async (c) => [c.slug, await A().localDone(c.slug)])));
    const cards = list.data.courses.map((course) => {
      const mine = byCourse.get(course.slug);
      // What the server knows, or what this phone did if that is more (not yet sent, or the token expired).
      const done = Math.min(course.lessons, Math.max(mine ? mine.lessons_done : 0, local.get(course.slug) || 0));
      const quizzesLeft = mine ? mine.quizzes_total - mine.quizzes_passed : null;
      const nextLesson = mine ? mine.next_lesson : null;
      const nextQuiz = mine && !mine.next_lesson && mine.next_quiz;
      const href = nextLesson ? `#/khoa/${course.slug}/bai/${nextLesson}`
        : nextQuiz ? `#/khoa/${course.slug}/kiem-tra/${nextQuiz}` : !mine ? `#/khoa/${course.slug}` : null;
      const label = nextLesson ? (done ? "Học tiếp bài sau" : "Bắt đầu học") : nextQuiz ? "Làm bài kiểm tra tiếp theo" : "Bắt đầu học";
      return h("li", { class: "card" },
        h("h2", {}, course.title),
        h("p", {}, course.summary),
        h("p", { class: "muted" }, `${course.lessons} bài · khoảng ${course.minutes} phút`,
          downloads.has(course.slug) ? " · Đã tải về máy" : ""),
        progressBar(done, course.lessons, "Đã học"),
        mine && mine.completed ? h("p", { class: "right" }, "Đã hoàn thành khóa học") : null,
        mine && !mine.completed && quizzesLeft > 0
          ? h("p", { class: "quizzes-left" }, done >= course.lessons
            ? `Đã học hết bài. Còn ${quizzesLeft} bài kiểm tra cần đạt để nhận chứng nhận.`
            : `Còn ${quizzesLeft} bài kiểm tra cần đạt để nhận chứng nhận.`) : null,
        h("div", { class: "actions" },
          href ? h("a", { class: "button", href }, label) : null,
          h("a", { class: href ? "button secondary" : "button", href: `#/khoa/${course.slug}` }, "Xem các bài học")));
    });
    return h("div", {}, h("h1", {}, "Khóa học của bạn"), offlineNote(list), h("ul", { class: "plain" }, cards));
  }

  /* ---------- course outline ---------- */
  async function course(slug) {
    const result = await A().api(`/courses/${slug}`, { remember: true });
    if (!result.ok) return failure("Khóa học", result);
    const detail = result.data;
    const state = await A().courseState(detail);
    const modules = detail.outline.map((module) => h("section", { class: "card" },
      h("h2", {}, module.title),
      module.summary ? h("p", {}, module.summary) : null,
      h("ol", { class: "lessons" }, module.lessons.map((lesson) => {
        const done = state.done.has(lesson.slug);
        if (!state.unlocked.has(lesson.slug)) {
          return h("li", {}, h("span", { class: "locked" }, h("span", { class: "mark", "aria-hidden": "true" }, "–"),
            `${lesson.title} (chưa mở: học xong bài trước)`));
        }
        return h("li", {}, h("a", { href: `#/khoa/${slug}/bai/${lesson.slug}` },
          h("span", { class: "mark", "aria-hidden": "true" }, done ? "✓" : "○"),
          `${lesson.title}${done ? " (đã học)" : ""}${lesson.minutes ? ` · ${lesson.minutes} phút` : ""}`));
      })),
      module.quiz ? h("p", {}, h("a", { class: "button secondary", href: `#/khoa/${slug}/kiem-tra/${module.quiz.id}` },
        `${module.quiz.title}${state.passed.has(module.quiz.id) ? " (đã đạt)" : ""}`)) : null));
    return h("div", {},
      h("h1", {}, detail.title),
      offlineNote(result),
      h("p", {}, detail.summary),
      detail.sequential ? h("p", { class: "muted" }, "Học lần lượt: mỗi bài mở ra khi bạn học xong bài trước.") : null,
      progressBar(state.done.size, state.order.length, "Đã học"),
      h("div", { class: "actions" },
        (() => { const step = nextStep(detail, state); return step ? h("a", { class: "button", id: "next-step", href: step.href }, step.label) : null; })(),
        await downloadButton(detail)),
      state.complete || state.completedOnServer ? await completion(detail, state) : null,
      modules);
  }

  async function downloadButton(detail) {
    const saved = await (await BD.db()).get("downloads", detail.slug);
    const status = h("p", { class: "muted", role: "status", "aria-live": "polite" },
      saved ? `Đã tải về lúc ${new Date(saved.at).toLocaleString("vi-VN")}.` : "");
    const button = h("button", {
      type: "button", id: "download",
      onclick: async () => {
        button.disabled = true;
        status.textContent = "Đang tải về…";
        try {
          const summary = await downloadCourse(detail, (n, total) => { status.textContent = `Đang tải về… ${n}/${total}`; });
          status.textContent = `Đã tải về ${summary.lessons} bài học, ${summary.assets} hình ảnh và ${summary.quizzes} bài kiểm tra. Bạn có thể học khi không có mạng.`;
        } catch (e) {
          status.textContent = "Chưa tải về được. Hãy kiểm tra kết nối mạng và thử lại.";
        }
        button.disabled = false;
      },
    }, saved ? "Tải lại bản mới nhất" : "Tải về để học khi không có mạng");
    return h("div", {}, button, status);
  }

  /* Everything a course needs offline: outline, lessons, their pictures, glossary, quiz forms. */
  async function downloadCourse(detail, onProgress) {
    const cache = await caches.open(BD.CONTENT_CACHE);
    const get = async (path) => {
      const response = await fetch(BD.API + path);
      if (!response.ok) throw new Error(`${path}: ${response.status}`);
      await cache.put(BD.API + path, response.clone());
      return response;
    };
    await get("/courses");
    await get(`/courses/${detail.slug}`);
    const lessons = detail.outline.flatMap((m) => m.lessons);
    const assets = new Set(detail.outline.flatMap((m) => m.lessons.flatMap((l) => l.assets || [])));
    let n = 0;
    await inParallel(lessons, async (lesson) => {
      const body = await (await get(`/courses/${detail.slug}/lessons/${lesson.slug}`)).json();
      (body.assets || []).forEach((url) => assets.add(url));
      onProgress(++n, lessons.length);
    });
    let pictures = 0;
    const own = [...assets].map((url) => new URL(url, location.origin)).filter((u) => u.origin === location.origin);
    await inParallel(own, async (absolute) => { // only the service's own, content-hashed pictures
      if (!(await cache.match(absolute.href))) {
        const response = await fetch(absolute.href);
        if (!response.ok) throw new Error(`${absolute.pathname}: ${response.status}`);
        await cache.put(absolute.href, response);
      }
      pictures++;
    });
    const glossary = await fetch(`${BD.API}/courses/${detail.slug}/glossary`).catch(() => null);
    if (glossary && glossary.ok) await cache.put(`${BD.API}/courses/${detail.slug}/glossary`, glossary);
    const quizzes = detail.outline.filter((m) => m.quiz).map((m) => m.quiz.id);
    for (const quiz of quizzes) await fetchForm(detail.slug, quiz);
    const summary = { course: detail.slug, at: Date.now(), lessons: lessons.length, assets: pictures, quizzes: quizzes.length };
    await (await BD.db()).put("downloads", summary);
    return summary;
  }

  /* Run `work` over `items`, DOWNLOADS_AT_ONCE at a time: on a 2 s round trip, one at a time took a minute. */
  const DOWNLOADS_AT_ONCE = 4;
  async function inParallel(items, work) {
    const queue = [...items];
    const worker = async () => { while (queue.length) await work(queue.shift()); };
    await Promise.all(Array.from({ length: Math.min(DOWNLOADS_AT_ONCE, queue.length) }, worker));
  }

  /* A fresh attempt form when online (kept for offline use), else the kept one. */
  async function fetchForm(course, quiz) {
    const database = await BD.db();
    const keptBefore = await database.get("forms", `${course}/${quiz}`);
    const result = await A().api(`/courses/${course}/quizzes/${quiz}`, { auth: true, fallback: !!(keptBefore && !keptBefore.usedBy) });
    if (result.ok) {
      await database.put("forms", result.data, `${course}/${quiz}`);
      return { form: result.data };
    }
    const kept = await database.get("forms", `${course}/${quiz}`);
    if (kept && kept.usedBy) return { used: true, result };
    return kept ? { form: kept, fromCache: true } : { result };
  }

  /* ---------- after the course: certificate and rating ---------- */
  async function completion(detail, state) {
    return h("section", { class: "card", "aria-labelledby": "done-title" },
      h("h2", { id: "done-title" }, "Chúc mừng, bạn đã hoàn thành khóa học!"),
      state.certificate ? h("p", {}, h("a", { href: "#/chung-nhan" }, "Xem chứng nhận của bạn")) :
        h("p", { class: "muted" }, "Chứng nhận sẽ có khi máy chủ nhận đủ bài học và bài kiểm tra của bạn."),
      ratingForm(detail.slug));
  }

  function ratingForm(course) {
    const form = h("form", {
      onsubmit: async (event) => {
        event.preventDefault();
        const chosen = form.querySelector("input[name=stars]:checked");
        if (!chosen) { A().toast("Hãy chọn từ 1 đến 5 sao."); return; }
        await BD.enqueue({ kind: "rating", course, body: { stars: Number(chosen.value) } });
        await A().sendNow();
        A().toast(navigator.onLine ? "Cảm ơn bạn đã đánh giá!" : "Đã lưu đánh giá, sẽ gửi khi có mạng.");
      },
    },
    h("fieldset", {},
      h("legend", {}, "Bạn thấy khóa học này thế nào? (1 sao: chưa tốt, 5 sao: rất tốt)"),
      h("div", { class: "stars" }, [1, 2, 3, 4, 5].map((n) => h("label", {},
        h("input", { type: "radio", name: "stars", value: String(n) }), h("span", {}, `${n} sao`))))),
    h("button", { type: "submit" }, "Gửi đánh giá"));
    return form;
  }

  /* ---------- lesson reader ---------- */
  async function lesson(courseSlug, slug) {
    const [detailResult, result] = await Promise.all([
      A().api(`/courses/${courseSlug}`, { remember: true }),
      A().api(`/courses/${courseSlug}/lessons/${slug}`, { remember: true }),
    ]);
    if (!result.ok || !detailResult.ok) return failure("Bài học", result.ok ? detailResult : result);
    const data = result.data;
    const state = await A().courseState(detailResult.data);
    const article = h("article", { class: "lesson", "aria-labelledby": "lesson-title" });
    article.innerHTML = data.html; // sanitised on import by the server (allow-list); CSP blocks scripts anyway
    for (const img of article.querySelectorAll("img")) { img.loading = "lazy"; if (!img.hasAttribute("alt")) img.alt = ""; }
    for (const box of article.querySelectorAll("input[type=checkbox]")) {
      // Task lists in lessons are read-only ticks; name them by their item's text for screen readers.
      box.setAttribute("aria-label", (box.closest("li") || article).textContent.trim());
    }
    await explainTerms(article, courseSlug);
    const done = state.done.has(slug);
    const locked = !state.unlocked.has(slug);
    const next = data.next;
    // The module's quiz comes right after its last lesson, before the next module.
    const module = detailResult.data.outline.find((m) => m.lessons.some((l) => l.slug === slug));
    const lastOfModule = module && module.lessons[module.lessons.length - 1].slug === slug;
    const quizNext = lastOfModule && module.quiz && !state.passed.has(module.quiz.id) ? module.quiz : null;
    const nextHref = quizNext ? `#/khoa/${courseSlug}/kiem-tra/${quizNext.id}` : next ? `#/khoa/${courseSlug}/bai/${next}` : `#/khoa/${courseSlug}`;
    const finish = h("button", {
      type: "button", id: "complete",
      onclick: async () => {
        finish.disabled = true;
        await completeLesson(courseSlug, slug);
        A().go(nextHref);
      },
    }, quizNext ? "Đã học xong, làm bài kiểm tra" : next ? "Đã học xong, sang bài tiếp" : "Đã học xong bài này");
    return h("div", {},
      h("p", {}, h("a", { class: "back", href: `#/khoa/${courseSlug}` }, `← ${detailResult.data.title}`)),
      h("h1", { id: "lesson-title" }, data.title),
      offlineNote(result),
      data.minutes ? h("p", { class: "muted" }, `Khoảng ${data.minutes} phút`) : null,
      data.audio ? narration(data.audio) : readAloud(article, data.title),
      locked ? h("p", { class: "card" }, "Bài này chưa mở: hãy học xong các bài trước.") : null,
      article,
      h("div", { class: "actions" },
        locked ? null : done ? h("p", { class: "right" }, "✓ Bạn đã học xong bài này.") : finish,
        done && quizNext ? h("a", { class: "button", href: nextHref }, `Làm bài kiểm tra: ${quizNext.title}`) : null,
        done && next && !quizNext ? h("a", { class: "button", href: nextHref }, "Bài tiếp theo") : null,
        data.prev ? h("a", { class: "button secondary", href: `#/khoa/${courseSlug}/bai/${data.prev}` }, "Bài trước") : null));
  }

  /* "Nghe bài": the lesson read aloud by the phone's own Vietnamese voice (Web Speech API), in chunks of a
     paragraph (long utterances stop early in some browsers), with pause and speed. No voice: say so. */
  const SPEEDS = [["0.8", "Chậm"], ["1", "Vừa"], ["1.2", "Nhanh"]];
  function vietnameseVoice() {
    const synth = window.speechSynthesis;
    if (!synth || typeof SpeechSynthesisUtterance === "undefined") return Promise.resolve(null);
    const pick = () => synth.getVoices().find((v) => (v.lang || "").toLowerCase().replace("_", "-").startsWith("vi")) || null;
    const now = pick();
    if (now || synth.getVoices().length) return Promise.resolve(now);
    return new Promise((resolve) => { // the voice list loads late on some phones
      const done = () => resolve(pick());
      synth.addEventListener("voiceschanged", done, { once: true });
      setTimeout(done, 1500);
    });
  }

  /* A recorded narration (the author's `audio:`): the phone's own player; the lesson below is its transcript.
     It is one of the lesson's assets, so "download this course" keeps it for offline listening. */
  function narration(src) {
    return h("figure", { class: "narration" },
      h("figcaption", { id: "narration-label" }, "Nghe bài đọc (giọng đọc thu sẵn; lời bài ở ngay bên dưới)"),
      h("audio", { controls: true, preload: "none", src, "aria-labelledby": "narration-label" }));
  }

  function readAloud(article, title) {
    const status = h("span", { class: "muted", role: "status", "aria-live": "polite" });
    const speed = h("select", { id: "speech-rate", "aria-label": "Tốc độ đọc" },
      SPEEDS.map(([value, label]) => h("option", { value, selected: value === "1" }, label)));
    const pause = h("button", { type: "button", class: "secondary", id: "speech-pause", hidden: true }, "Tạm dừng");
    const listen = h("button", { type: "button", id: "speech-play" }, "Nghe bài");
    let voice = null;
    const chunks = () => [title, ...[...article.querySelectorAll("h2, h3, p, li, td, th, blockquote")]
      .filter((el) => !el.querySelector("p, li")) // innermost blocks only: nothing is read twice
      .map((el) => el.textContent.replace(/\s+/g, " ").trim()).filter(Boolean)];
    const stop = () => { window.speechSynthesis.cancel(); pause.hidden = true; listen.textContent = "Nghe bài"; };
    listen.addEventListener("click", async () => {
      if (listen.textContent !== "Nghe bài") { stop(); status.textContent = ""; return; }
      voice = voice || await vietnameseVoice();
      if (!voice) { status.textContent = "Điện thoại này chưa có giọng đọc tiếng Việt, nên chưa nghe được bài."; return; }
      const synth = window.speechSynthesis;
      synth.cancel();
      const parts = chunks();
      parts.forEach((text, i) => {
        const utterance = new SpeechSynthesisUtterance(text);
        utterance.lang = "vi-VN";
        utterance.voice = voice;
        utterance.rate = Number(speed.value);
        if (i === parts.length - 1) utterance.onend = () => { pause.hidden = true; listen.textContent = "Nghe bài"; status.textContent = "Đã đọc hết bài."; };
        synth.speak(utterance);
      });
      listen.textContent = "Dừng đọc";
      pause.hidden = false;
      pause.textContent = "Tạm dừng";
      status.textContent = "Đang đọc bài…";
    });
    pause.addEventListener("click", () => {
      const synth = window.speechSynthesis;
      if (pause.textContent === "Tạm dừng") { synth.pause(); pause.textContent = "Đọc tiếp"; status.textContent = "Đã tạm dừng."; }
      else { synth.resume(); pause.textContent = "Tạm dừng"; status.textContent = "Đang đọc bài…"; }
    });
    speed.addEventListener("change", () => { if (listen.textContent !== "Nghe bài") { stop(); listen.click(); } });
    window.addEventListener("hashchange", () => window.speechSynthesis && window.speechSynthesis.cancel(), { once: true });
    return h("div", { class: "actions read-aloud" }, listen, pause,
      h("label", { class: "field-inline" }, "Tốc độ ", speed), status);
  }

  async function completeLesson(course, slug) {
    const event = { id: BD.uuid(), type: "lesson_completed", course, lesson: slug, at: new Date().toISOString() };
    await BD.enqueue({ id: event.id, kind: "event", course, lesson: slug, body: event });
    await A().markDone(course, slug);
    A().toast(navigator.onLine ? "Đã ghi nhận bài học." : "Đã lưu trên máy. Sẽ gửi khi có mạng.");
    A().sendNow();
  }

  /* Glossary terms (<dfn data-term>) become buttons that show their explanation in place. */
  async function explainTerms(article, courseSlug, givenTerms = null) {
    const terms = article.querySelectorAll("dfn[data-term]");
    if (!terms.length) return;
    const glossary = givenTerms ? { ok: true, data: { terms: givenTerms } } : await A().api(`/courses/${courseSlug}/glossary`, { remember: true });
    const known = new Map(glossary.ok ? glossary.data.terms.map((t) => [t.id, t.explanation]) : []);
    let count = 0;
    for (const dfn of terms) {
      const explanation = known.get(dfn.dataset.term) || dfn.getAttribute("title");
      if (!explanation) continue;
      const note = h("span", { class: "term-note", id: `term-note-${++count}`, hidden: true }, `${dfn.textContent}: ${explanation}`);
      dfn.removeAttribute("title");
      dfn.setAttribute("role", "button");
      dfn.setAttribute("tabindex", "0");
      dfn.setAttribute("aria-expanded", "false");
      dfn.setAttribute("aria-controls", note.id);
      dfn.setAttribute("aria-label", `${dfn.textContent} (giải thích từ ngữ)`);
      const toggle = () => {
        note.hidden = !note.hidden;
        dfn.setAttribute("aria-expanded", String(!note.hidden));
      };
      dfn.addEventListener("click", toggle);
      dfn.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); } });
      // The note goes after the sentence's paragraph (or list item), not into the middle of the sentence.
      (dfn.closest("p, li, td, th, blockquote, dd") || dfn).after(note);
    }
  }

  /* ---------- quiz ---------- */
  /* A form answers one attempt (the server refuses a second with form_used), so every graded attempt that
     did not pass brings a fresh form onto the same page, and a form kept for offline use is used once. */
  async function quiz(courseSlug, quizSlug) {
    const { form: data, fromCache, used, result } = await fetchForm(courseSlug, quizSlug);
    const results = h("div", { id: "quiz-result", role: "status", "aria-live": "polite", tabindex: "-1" });
    const last = await lastAttempt(courseSlug, quizSlug);
    if (last) results.replaceChildren(await attemptView(last, data, courseSlug));
    if (!data && !used) return failure("Bài kiểm tra", result);
    const holder = h("div", { id: "quiz-form-holder" });
    const page = h("div", {},
      h("p", {}, h("a", { class: "back", href: `#/khoa/${courseSlug}` }, "← Về khóa học")),
      h("h1", {}, (data && data.title) || (last && last.title) || "Bài kiểm tra"),
      results, holder);
    if (data) showForm(holder, data, fromCache, courseSlug, quizSlug, results);
    else holder.replaceChildren(h("p", { class: "card" }, "Bạn đã nộp bài kiểm tra này và bài đang chờ chấm. Khi có mạng, ứng dụng sẽ chấm và cho bạn làm lại nếu chưa đạt."));
    return page;
  }

  function showForm(holder, data, fromCache, courseSlug, quizSlug, results) {
    const form = h("form", { id: "quiz-form", onsubmit: (e) => submitQuiz(e, form, data, courseSlug, quizSlug, results, holder) },
      data.questions.map((question, qi) => h("fieldset", { "data-question": question.id },
        h("legend", {}, `Câu ${qi + 1}. ${question.text}`),
        question.multiple ? h("p", { class: "muted" }, "Chọn tất cả các ý đúng.") : null,
        question.options.map((option) => h("label", { class: "option" },
          h("input", { type: question.multiple ? "checkbox" : "radio", name: `q-${qi}`, value: option.id }),
          h("span", {}, option.text))))),
      h("button", { type: "submit" }, "Nộp bài"));
    holder.replaceChildren(
      fromCache ? h("p", { class: "muted" }, "Bài kiểm tra đã tải về. Bài làm sẽ được chấm khi có mạng.") : null,
      h("p", { class: "muted" }, `Cần đúng ít nhất ${Math.round(data.pass_ratio * 100)}% để đạt.`),
      form);
  }

  async function submitQuiz(event, form, data, course, quizSlug, results, holder) {
    event.preventDefault();
    const answers = {};
    for (const [qi, question] of data.questions.entries()) {
      const chosen = [...form.querySelectorAll(`input[name="q-${qi}"]:checked`)].map((i) => i.value);
      if (!chosen.length) { A().toast(`Bạn chưa trả lời câu ${qi + 1}.`); form.querySelector(`input[name="q-${qi}"]`).focus(); return; }
      answers[question.id] = chosen;
    }
    const body = { id: BD.uuid(), answers };
    if (data.form) body.form = data.form; // the server's attempt form; older servers do not issue one
    form.querySelector("button[type=submit]").disabled = true;
    // The questions go with the attempt, so its result can be shown after a fresh form has replaced them.
    await BD.enqueue({ id: body.id, kind: "attempt", course, quiz: quizSlug, body, title: data.title, questions: data.questions });
    await (await BD.db()).put("forms", { ...data, usedBy: body.id }, `${course}/${quizSlug}`); // used once
    results.replaceChildren(h("p", {}, "Đã lưu bài làm. Đang gửi để chấm…"));
    const outcome = await Promise.race([
      A().sendNow().then(() => "done"),
      new Promise((resolve) => setTimeout(() => resolve("slow"), BD.REQUEST_TIMEOUT_MS)),
    ]);
    const sent = await (await BD.db()).get("sent", body.id);
    if (sent) {
      results.replaceChildren(await attemptView(sent, data, course));
      if (sent.reply && sent.reply.passed) {
        await A().markDone(course, `quiz:${quizSlug}`);
        holder.replaceChildren();
      } else {
        await freshForm(holder, course, quizSlug, results);
      }
    } else {
      const slow = outcome === "slow" || !navigator.onLine;
      results.replaceChildren(h("p", { class: "card" }, slow && navigator.onLine
        ? "Mạng yếu: chưa gửi được bài làm. Bài đã lưu trên máy và sẽ tự gửi để chấm khi mạng tốt hơn; bạn không cần làm lại."
        : "Đã lưu bài làm trên máy. Bài sẽ được chấm khi có mạng; bạn không cần làm lại."));
      holder.replaceChildren();
    }
    results.focus();
  }

  /* After a graded attempt that did not pass: a new form for the next try, on the same page. */
  async function freshForm(holder, course, quizSlug, results) {
    const next = await fetchForm(course, quizSlug);
    if (next.form && !next.fromCache) {
      showForm(holder, next.form, false, course, quizSlug, results);
      holder.prepend(h("h2", {}, "Làm lại"), h("p", { class: "muted" }, "Đề mới có thể khác đề trước. Hãy đọc lại bài học nếu cần."));
    } else {
      holder.replaceChildren(h("p", { class: "card" }, next.result && next.result.error && next.result.error.code === "attempt_limit"
        ? A().reasonText("attempt_limit") : "Hãy làm lại khi có mạng."));
    }
  }

  async function lastAttempt(course, quizSlug) {
    const all = await (await BD.db()).getAll("sent");
    const mine = all.filter((s) => s.kind === "attempt" && s.course === course && s.quiz === quizSlug);
    mine.sort((a, b) => b.sentAt - a.sentAt);
    if (mine[0]) return mine[0];
    const waiting = (await BD.pending()).find((p) => p.kind === "attempt" && p.course === course && p.quiz === quizSlug);
    return waiting ? { ...waiting, outcome: "waiting" } : null;
  }

  async function attemptView(sent, data, courseSlug) {
    if (sent.outcome === "waiting") return h("p", { class: "card" }, "Bạn có một bài làm đang chờ gửi để chấm.");
    if (sent.outcome === "rejected") return h("p", { class: "card wrong" }, A().reasonText(sent.reason));
    const reply = sent.reply;
    const asked = sent.questions || (data && data.questions) || [];
    data = { questions: asked };
    const options = new Map(data.questions.flatMap((q) => q.options.map((o) => [o.id, o.text])));
    const full = reply.review ? reply.review === "full" : true;
    return h("section", { class: "card", "aria-label": "Kết quả bài kiểm tra" },
      h("h2", {}, reply.score == null ? "Kết quả" : `Kết quả: ${reply.score}/${reply.max_score} điểm`),
      h("p", { class: reply.passed ? "right" : "wrong" }, reply.passed ? "Bạn đã đạt!" : "Chưa đạt. Hãy xem gợi ý và làm lại."),
      reply.certificate ? h("p", {}, h("a", { class: "button", href: "#/chung-nhan", id: "see-certificate" }, "Bạn đã hoàn thành khóa học. Xem chứng nhận")) : null,
      reply.passed && !reply.certificate && courseSlug ? await whatNext(courseSlug) : null,
      h("ol", {}, reply.questions.map((q) => {
        const question = data.questions.find((item) => item.id === q.id);
        return h("li", {},
          // before a pass the server says neither the score nor which answer was right (learning-integrity.md)
          typeof q.correct === "boolean" ? h("span", { class: q.correct ? "right" : "wrong" }, q.correct ? "Đúng" : "Chưa đúng") : null,
          question ? `${typeof q.correct === "boolean" ? " — " : ""}${question.text}` : "",
          q.hint ? h("p", {}, `Gợi ý: ${q.hint}`) : null,
          full && q.explanation ? h("p", {}, `Giải thích: ${q.explanation}`) : null,
          full && q.right_options ? h("p", {}, `Đáp án đúng: ${q.right_options.map((id) => options.get(id) || id).join("; ")}`) : null);
      })),
      null);
  }

  /* After a passed quiz: the next lesson or quiz, so the learner always sees what comes next. */
  async function whatNext(courseSlug) {
    const detail = await A().api(`/courses/${courseSlug}`, { remember: true });
    if (!detail.ok) return null;
    const state = await A().courseState(detail.data);
    const target = nextStep(detail.data, state);
    return target ? h("p", {}, h("a", { class: "button", href: target.href }, target.label)) : null;
  }

  /* ---------- certificates ---------- */
  async function certificates() {
    const result = await A().api("/me/certificates", { auth: true, remember: "me" });
    if (!result.ok) return failure("Chứng nhận", result);
    const items = result.data.certificates;
    return h("div", {},
      h("h1", {}, "Chứng nhận của bạn"),
      offlineNote(result),
      items.length ? null : h("p", {}, "Bạn chưa có chứng nhận nào. Hãy học xong một khóa học và đạt các bài kiểm tra."),
      h("ul", { class: "plain" }, items.map((c) => h("li", { class: "card" },
        h("h2", {}, c.course_title),
        h("p", {}, `Cấp ngày ${vnDate(c.issued_at)} · Mã: `, h("strong", {}, c.code)),
        c.valid ? null : h("p", { class: "wrong" }, "Chứng nhận này đã bị thu hồi."),
        h("img", { class: "qr", src: `${BD.API}/certificates/${c.code}/qr.svg`, width: "192", height: "192",
          alt: `Mã QR để kiểm tra chứng nhận ${c.code}` }),
        h("p", {}, h("a", { href: `#/xac-minh/${c.code}` }, "Kiểm tra chứng nhận này")),
        h("p", { class: "muted" }, "Ai cũng có thể kiểm tra tại: ", h("a", { href: c.verify_url, rel: "noopener" }, c.verify_url))))));
  }

  async function verify(code) {
    const result = await A().api(`/certificates/${code}`);
    if (!result.ok) {
      if (result.status === 404) return h("div", {}, h("h1", {}, "Kiểm tra chứng nhận"), h("p", { class: "wrong" }, `Không có chứng nhận nào mang mã ${code}.`));
      return failure("Kiểm tra chứng nhận", result);
    }
    const c = result.data;
    return h("div", {},
      h("h1", {}, "Kiểm tra chứng nhận"),
      h("p", { class: c.valid ? "right" : "wrong" }, c.valid ? "Chứng nhận hợp lệ." : "Chứng nhận đã bị thu hồi."),
      h("dl", {}, h("dt", {}, "Khóa học"), h("dd", {}, c.course_title), h("dt", {}, "Ngày cấp"), h("dd", {}, vnDate(c.issued_on)),
        h("dt", {}, "Mã"), h("dd", {}, c.code)));
  }

  /* "Phường Hoàn Kiếm, Thành phố Hà Nội" for a commune code (the code itself only when offline and unknown). */
  async function communeName(code) {
    if (!code) return "không rõ";
    const result = await A().api(`/localities/communes/${code}`, { remember: true });
    return result.ok ? `${result.data.name}, ${result.data.province_name}` : `xã, phường mã ${code}`;
  }

  /* dd/mm/yyyy in Vietnam time, from an ISO time or a "yyyy-mm-dd" date. */
  function vnDate(value) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) { const [y, m, d] = value.split("-"); return `${d}/${m}/${y}`; }
    return new Date(value).toLocaleDateString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric" });
  }

  /* ---------- settings, account, erasure ---------- */
  async function settings() {
    const current = A().settings();
    const toggle = (key, label) => h("label", { class: "switch" },
      h("input", { type: "checkbox", checked: !!current[key], onchange: (e) => { current[key] = e.target.checked; A().saveSettings(current); } }),
      h("span", {}, label));
    const me = await A().identity();
    const waiting = (await BD.pending()).length;
    const dialog = h("dialog", { "aria-labelledby": "erase-title" },
      h("h2", { id: "erase-title" }, "Xóa toàn bộ dữ liệu học tập của bạn?"),
      h("p", {}, "Máy chủ sẽ xóa vĩnh viễn tiến độ học, bài kiểm tra và đánh giá của bạn. Chứng nhận đã cấp sẽ bị thu hồi. Việc này không thể hoàn tác."),
      waiting ? h("p", { class: "wrong" }, `Có ${waiting} mục chưa gửi trên máy này; chúng cũng sẽ bị xóa.`) : null,
      h("div", { class: "actions" },
        h("button", { type: "button", class: "danger", id: "erase-confirm", onclick: () => erase(dialog) }, "Xóa vĩnh viễn"),
        h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, "Không xóa")));
    return h("div", {},
      h("h1", {}, "Cài đặt"),
      h("section", { class: "card" }, h("h2", {}, "Hiển thị"),
        toggle("largeText", "Chữ lớn"), toggle("highContrast", "Tương phản cao (nền đen, chữ sáng)")),
      h("section", { class: "card" }, h("h2", {}, "Tài khoản"),
        me ? h("p", { id: "who" }, `Đã đăng nhập. Nơi học: ${await communeName(me.claims.locality)}.`,
          me.expired ? " Phiên đăng nhập đã hết hạn: hãy mở lại ứng dụng từ ứng dụng chính." : "")
          : h("p", {}, h("a", { href: "#/dang-nhap" }, "Đăng nhập")),
        me && waiting ? h("p", { class: "wrong" }, `Có ${waiting} mục chưa gửi lên máy chủ. Hãy gửi trước khi đăng xuất.`) : null,
        me ? h("div", { class: "actions" },
          h("button", { type: "button", class: "secondary", id: "sign-out", onclick: async () => { if (await A().signOut()) A().go("#/dang-nhap"); } }, "Đăng xuất trên máy này"),
          h("button", { type: "button", class: "danger", id: "erase", onclick: () => dialog.showModal() }, "Xóa dữ liệu của tôi")) : null),
      dialog);
  }

  async function erase(dialog) {
    const result = await A().api("/me", { method: "DELETE", auth: true });
    dialog.close();
    if (!result.ok) {
      A().toast(result.offline ? "Cần có kết nối mạng để xóa dữ liệu." : A().reasonText(result.error.code));
      return;
    }
    await A().forgetLearner();
    A().toast("Đã xóa toàn bộ dữ liệu học tập của bạn.");
    A().go("#/dang-nhap");
  }

  /* ---------- sign-in ---------- */
  async function signin() {
    const me = await A().identity();
    const page = h("div", {},
      h("h1", {}, "Đăng nhập"),
      me ? h("p", {}, "Bạn đã đăng nhập. ", h("a", { href: "#/" }, "Về danh sách khóa học")) : null,
      h("p", {}, "Hãy mở ứng dụng này từ ứng dụng chính của địa phương bạn: ứng dụng đó sẽ đăng nhập giúp bạn."));
    const probe = await fetch(`${BD.API}/dev/token`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }).catch(() => null);
    if (!probe || probe.status === 404) return page; // not a development server
    const provinces = await A().api("/localities");
    if (!provinces.ok) return page;
    const province = h("select", { id: "province", required: true },
      h("option", { value: "" }, "— Chọn tỉnh, thành phố —"),
      provinces.data.provinces.map((p) => h("option", { value: p.code }, p.name)));
    const commune = h("select", { id: "commune", required: true, disabled: true }, h("option", { value: "" }, "— Chọn xã, phường —"));
    province.addEventListener("change", async () => {
      commune.disabled = true;
      commune.replaceChildren(h("option", { value: "" }, "— Chọn xã, phường —"));
      if (!province.value) return;
      const detail = await A().api(`/localities/${province.value}`);
      if (detail.ok) detail.data.communes.forEach((c) => commune.append(h("option", { value: c.code }, c.name)));
      commune.disabled = false;
    });
    const form = h("form", {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        if (!commune.value) { A().toast("Hãy chọn xã, phường."); return; }
        const result = await A().api("/dev/token", { method: "POST", body: { locality: commune.value } });
        if (!result.ok) { A().toast(result.offline ? "Chưa có kết nối mạng." : A().reasonText(result.error.code)); return; }
        if (await A().acceptToken(result.data.token)) A().go("#/");
      },
    },
    h("h2", {}, "Đăng nhập thử (chỉ dùng khi phát triển)"),
    h("p", { class: "muted" }, "Tạo một người học thử ở xã, phường bạn chọn. Máy chủ thật không có chức năng này."),
    h("label", { class: "field", for: "province" }, "Tỉnh, thành phố"), province,
    h("label", { class: "field", for: "commune" }, "Xã, phường"), commune,
    h("div", { class: "actions" }, h("button", { type: "submit", id: "dev-signin" }, "Đăng nhập thử")));
    page.append(form);
    return page;
  }

  /* ---------- preview of a draft course (an author's, from /soan-bai): read-only, nothing recorded ---------- */
  function previewFailure(result) {
    const code = result.error && result.error.code;
    const text = result.offline ? "Chưa có kết nối mạng: bản xem trước cần mạng."
      : code === "preview_missing" ? "Không có bản xem trước nào đang mở. Hãy mở lại từ trang Soạn bài."
        : ["missing_token", "invalid_token", "token_expired", "unauthorized"].includes(code) ? "Mã xem trước đã hết hạn. Hãy mở lại từ trang Soạn bài."
          : code === "insufficient_scope" ? "Chỉ người soạn bài mới xem trước được khoá học chưa xuất bản."
            : ["draft_not_found", "course_not_found"].includes(code) ? "Không tìm thấy bản nháp hoặc khoá học này. Hãy tải lên lại ở trang Soạn bài."
              : A().reasonText(code || "server_error");
    return h("div", {}, h("h1", {}, "Bản xem trước"), h("p", {}, text),
      h("p", {}, h("a", { href: "/soan-bai" }, "Về trang Soạn bài")));
  }

  async function previewCourse() {
    const result = await A().previewCourse();
    if (!result.ok) return previewFailure(result);
    const { course: detail, quizzes } = result.data;
    return h("div", {},
      h("h1", {}, detail.title),
      h("p", {}, detail.summary),
      h("p", { class: "muted" }, `${detail.lessons} bài · khoảng ${detail.minutes} phút`),
      detail.sequential ? h("p", { class: "muted" }, "Học lần lượt: mỗi bài mở ra khi người học học xong bài trước.") : null,
      detail.outline.map((module) => h("section", { class: "card" },
        h("h2", {}, module.title),
        module.summary ? h("p", {}, module.summary) : null,
        h("ol", { class: "lessons" }, module.lessons.map((lesson) => h("li", {},
          h("a", { href: `#/xem-truoc/bai/${lesson.slug}` }, h("span", { class: "mark", "aria-hidden": "true" }, "○"),
            `${lesson.title}${lesson.minutes ? ` · ${lesson.minutes} phút` : ""}`)))),
        module.quiz && quizzes.some((q) => q.id === module.quiz.id)
          ? h("p", {}, h("a", { class: "button secondary", href: `#/xem-truoc/kiem-tra/${module.quiz.id}` }, module.quiz.title)) : null)));
  }

  async function previewLesson(slug) {
    const result = await A().previewCourse();
    if (!result.ok) return previewFailure(result);
    const data = result.data.lessons.find((l) => l.slug === slug);
    if (!data) return previewFailure({ error: { code: "course_not_found" } });
    const template = document.createElement("template");
    template.innerHTML = data.html; // the server's renderer, as learners will get it; pictures are set below
    const pictures = [...template.content.querySelectorAll("img")].map((img) => {
      const url = img.getAttribute("src");
      img.removeAttribute("src");
      if (!img.hasAttribute("alt")) img.alt = "";
      return [img, url];
    });
    const article = h("article", { class: "lesson", "aria-labelledby": "lesson-title" }, template.content);
    await Promise.all(pictures.map(async ([img, url]) => { const src = await A().previewPicture(url); if (src) img.src = src; }));
    await explainTerms(article, result.data.course.slug, result.data.glossary);
    const outline = result.data.course.outline;
    const module = outline.find((m) => m.lessons.some((l) => l.slug === slug));
    const last = module && module.lessons[module.lessons.length - 1].slug === slug;
    const quizNext = last && module.quiz ? module.quiz : null;
    return h("div", {},
      h("p", {}, h("a", { class: "back", href: "#/xem-truoc" }, `← ${result.data.course.title}`)),
      h("h1", { id: "lesson-title" }, data.title),
      data.minutes ? h("p", { class: "muted" }, `Khoảng ${data.minutes} phút`) : null,
      readAloud(article, data.title),
      article,
      h("p", { class: "card" }, "Bản xem trước: ở đây không có nút \"Đã học xong\" và không có gì được ghi vào tiến độ học."),
      h("div", { class: "actions" },
        quizNext ? h("a", { class: "button", href: `#/xem-truoc/kiem-tra/${quizNext.id}` }, `Bài kiểm tra: ${quizNext.title}`) : null,
        data.next ? h("a", { class: "button", href: `#/xem-truoc/bai/${data.next}` }, "Bài tiếp theo") : null,
        data.prev ? h("a", { class: "button secondary", href: `#/xem-truoc/bai/${data.prev}` }, "Bài trước") : null));
  }

  async function previewQuiz(id) {
    const result = await A().previewCourse();
    if (!result.ok) return previewFailure(result);
    const quiz = result.data.quizzes.find((q) => q.id === id);
    if (!quiz) return previewFailure({ error: { code: "course_not_found" } });
    return h("div", {},
      h("p", {}, h("a", { class: "back", href: "#/xem-truoc" }, "← Về khoá học")),
      h("h1", {}, quiz.title),
      h("p", { class: "muted" }, `Cần đúng ít nhất ${Math.round(quiz.pass_ratio * 100)}% để đạt.` +
        (quiz.ask ? ` Mỗi lần làm, người học gặp ${quiz.ask} trong ${quiz.questions.length} câu dưới đây.` : "")),
      h("p", { class: "card" }, "Bản xem trước: bài kiểm tra không được chấm và không có gì được ghi lại."),
      h("form", { id: "quiz-form", onsubmit: (e) => { e.preventDefault(); A().toast("Bản xem trước không chấm bài."); } },
        quiz.questions.map((question, qi) => h("fieldset", { "data-question": question.id },
          h("legend", {}, `Câu ${qi + 1}. ${question.text}`),
          question.multiple ? h("p", { class: "muted" }, "Chọn tất cả các ý đúng.") : null,
          question.options.map((option) => h("label", { class: "option" },
            h("input", { type: question.multiple ? "checkbox" : "radio", name: `q-${qi}`, value: option.id }),
            h("span", {}, option.text))))),
        h("button", { type: "submit" }, "Nộp bài (không chấm trong bản xem trước)")));
  }

  function previewMissing() { return previewFailure({ error: { code: "preview_missing" } }); }

  function notFound() {
    return h("div", {}, h("h1", {}, "Không tìm thấy trang"), h("p", {}, h("a", { href: "#/" }, "Về danh sách khóa học")));
  }

  self.Views = {
    courses, course, lesson, quiz, certificates, verify, settings, signin, notFound, downloadCourse,
    previewCourse, previewLesson, previewQuiz, previewMissing,
  };
})();
