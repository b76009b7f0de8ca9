"""Every validator message for authors: a stable English `code` for tools and the message in Vietnamese (pure).

The validator writes its messages in English (the command line and CI print them); this table is the one
place they are told to authors in Vietnamese. tests/author/test_messages.py checks that every problem the
validator can report has its entry here, so a new rule cannot reach an author untranslated.
"""

from __future__ import annotations

import re

from app.catalogue.problems import Problem

Q = r"'(?P<{}>[^']*)'"
_TABLE: list[tuple[str, str, str]] = [
    # (code, English pattern, Vietnamese template with the pattern's groups)
    ("content_missing", r"content directory does not exist", "Không có thư mục nội dung."),
    (
        "no_course",
        r"no course directories found",
        "Không thấy thư mục khoá học nào (mỗi khoá học là một thư mục có course.md).",
    ),
    (
        "symlink",
        r"symbolic links are refused",
        "Liên kết tượng trưng (symlink) không được phép: hãy chép chính tệp vào.",
    ),
    ("outside_content", r"file resolves outside", "Tệp nằm ngoài thư mục nội dung: bị từ chối."),
    (
        "file_too_large",
        r"file is (?P<n>\d+) bytes; the limit is (?P<m>\d+)",
        "Tệp dài {n} byte, quá giới hạn {m} byte: hãy tách thành các bài ngắn hơn.",
    ),
    ("not_utf8", r"file is not valid UTF-8", "Tệp không phải UTF-8: hãy lưu lại với bảng mã UTF-8."),
    (
        "bad_course_name",
        r"course directory must be a slug.*rename it '(?P<s>[^']*)'",
        "Tên thư mục khoá học chỉ gồm chữ thường không dấu a-z, số 0-9 và dấu '-': hãy đổi thành '{s}'.",
    ),
    ("course_md_missing", r"missing course\.md", "Thiếu tệp course.md."),
    ("module_md_missing", r"missing module\.md", "Thiếu tệp module.md."),
    ("no_modules", r"the course has no modules", "Khoá học chưa có mô-đun nào (thư mục dạng 'NN-ten-mo-dun/')."),
    ("no_lessons", r"the module has no lessons", "Mô-đun chưa có bài học nào (tệp dạng 'NN-ten-bai.md')."),
    (
        "bad_image_name",
        r"image file names are .*rename it '(?P<s>[^']*)'",
        "Tên tệp hình chỉ gồm chữ thường không dấu, số, '-', '_' và đuôi .svg, .png, .jpg, .webp: hãy đổi thành '{s}'.",
    ),
    (
        "bad_module_dir",
        r"not in a 'NN-module-slug/' directory: rename the directory '(?P<s>[^']*)'",
        "Tệp không nằm trong thư mục mô-đun dạng 'NN-ten-mo-dun/': hãy đổi tên thư mục thành '{s}'.",
    ),
    (
        "bad_module_dir",
        r"not in a 'NN-module-slug/' directory",
        "Tệp không nằm trong thư mục mô-đun dạng 'NN-ten-mo-dun/' (chỉ một tầng thư mục).",
    ),
    (
        "bad_lesson_name",
        r"lesson file must be named .*rename it '(?P<s>[^']*)'",
        "Tên tệp bài học phải có dạng 'NN-ten-bai.md' (hai chữ số, chữ thường không dấu): hãy đổi thành '{s}'.",
    ),
    (
        "duplicate_module",
        r"module slug '(?P<s>[^']*)' is used twice \(also (?P<o>[^)]*)\)",
        "Tên mô-đun '{s}' bị dùng hai lần (cả ở {o}).",
    ),
    (
        "duplicate_lesson",
        r"lesson slug '(?P<s>[^']*)' is used twice in this course \(also (?P<o>[^)]*)\)",
        "Tên bài '{s}' bị dùng hai lần trong khoá học (cả ở {o}).",
    ),
    (
        "picture_unused",
        r"picture is not used by any lesson",
        "Hình này không được bài nào dùng: sẽ không được xuất bản.",
    ),
    (
        "front_matter_missing",
        r"missing front matter",
        "Thiếu phần đầu (front matter): tệp phải bắt đầu bằng dòng '---'.",
    ),
    ("front_matter_unclosed", r"front matter is not closed", "Phần đầu chưa được đóng bằng một dòng '---'."),
    ("yaml_invalid", r"front matter is not valid YAML: (?P<p>.*) \(YAML said", "Phần đầu viết sai cú pháp: {p_vi}."),
    ("front_matter_not_mapping", r"front matter must be a mapping", "Phần đầu phải gồm các dòng 'khoá: giá trị'."),
    (
        "unknown_key",
        r"unknown front-matter key '(?P<k>[^']*)' \(allowed here: (?P<a>[^;)]*)(?:; did you mean '(?P<g>[^']*)'\?)?\)",
        "Khoá '{k}' không dùng được ở đây (chỉ dùng: {a}){g_vi}.",
    ),
    ("key_missing", r"front matter needs a '(?P<k>[^']*)'", "Phần đầu cần có '{k}'."),
    ("key_empty", r"'(?P<k>[^']*)' must be non-empty text", "'{k}' phải là chữ, không để trống."),
    ("title_too_long", r"'title' is longer than (?P<n>\d+)", "Tiêu đề dài quá {n} ký tự."),
    ("bad_pass_ratio", r"'pass_ratio' must be", "'pass_ratio' phải là số lớn hơn 0 và không quá 1 (ví dụ 0.8)."),
    ("bad_review", r"'review' must be one of: (?P<a>.*)", "'review' chỉ nhận một trong: {a}."),
    ("bad_ask", r"'ask' must be a whole number", "'ask' phải là số câu hỏi nguyên, ít nhất 1."),
    (
        "ask_too_many",
        r"'ask' is (?P<a>\d+) but the quiz has only (?P<n>\d+)",
        "'ask' là {a} nhưng bài kiểm tra chỉ có {n} câu.",
    ),
    ("bad_flag", r"'(?P<k>[^']*)' must be true or false", "'{k}' chỉ nhận true hoặc false."),
    ("bad_minutes", r"'minutes' must be", "'minutes' phải là số phút nguyên từ 1 đến 600."),
    (
        "sources_missing",
        r"front matter needs 'sources'",
        "Phần đầu cần 'sources': danh sách {{title, url}} các trang đã dùng để kiểm tra thông tin.",
    ),
    (
        "bad_sources",
        r"'sources' must be a non-empty list",
        "'sources' phải là danh sách {{title, url}}, không để trống.",
    ),
    ("bad_source", r"sources item (?P<n>\d+) must have exactly", "Nguồn thứ {n} phải có đúng 'title' và 'url'."),
    ("bad_source", r"sources item (?P<n>\d+): 'title'", "Nguồn thứ {n}: 'title' không được để trống."),
    ("bad_source", r"sources item (?P<n>\d+): 'url'", "Nguồn thứ {n}: 'url' phải là địa chỉ https://."),
    (
        "reviewed_missing",
        r"front matter needs 'reviewed'",
        "Phần đầu cần 'reviewed': ngày kiểm tra thông tin (YYYY-MM-DD).",
    ),
    ("bad_reviewed", r"'reviewed' must be a date", "'reviewed' phải là ngày viết dạng YYYY-MM-DD."),
    ("reviewed_future", r"'reviewed' (?P<d>\S+) is in the future", "Ngày 'reviewed' {d} nằm ở tương lai."),
    (
        "review_overdue",
        r"facts last reviewed (?P<n>\d+) days ago \(over (?P<m>\d+)\): check them again",
        "Thông tin được kiểm tra lần cuối {n} ngày trước (quá {m}): hãy kiểm tra lại.",
    ),
    (
        "review_due",
        r"facts last reviewed (?P<n>\d+) days ago \(over (?P<m>\d+)\)",
        "Thông tin được kiểm tra lần cuối {n} ngày trước (quá {m}): nên kiểm tra lại sớm.",
    ),
    ("lesson_empty", r"the lesson has no body", "Bài học chưa có nội dung."),
    (
        "try_it_missing",
        r"the lesson needs a '## Làm thử ngay' section",
        "Bài học cần mục '## Làm thử ngay': một việc làm ngay trên điện thoại của mình.",
    ),
    (
        "try_it_not_last",
        r"'## Làm thử ngay' should be the last section",
        "'## Làm thử ngay' nên là mục cuối cùng của bài (chỉ ghi chú 'Căn cứ' được đứng sau).",
    ),
    ("try_it_empty", r"the '## Làm thử ngay' section is empty", "Mục '## Làm thử ngay' đang trống."),
    (
        "picture_alt_missing",
        r"picture '(?P<s>[^']*)' needs alt text",
        "Hình '{s}' cần lời mô tả (alt) bằng tiếng Việt: ![hình cho thấy gì]({s}).",
    ),
    (
        "picture_not_local",
        r"picture '(?P<s>[^']*)' must be a file of this course's images/",
        "Hình '{s}' phải là tệp trong thư mục images/ của khoá học, ví dụ images/ten-hinh.svg.",
    ),
    (
        "picture_refused",
        r"picture '(?P<s>[^']*)' is not a usable file.*: the file was refused",
        "Hình '{s}' không dùng được: chính tệp hình bị từ chối (xem lỗi của tệp đó).",
    ),
    (
        "picture_not_found",
        r"picture '(?P<s>[^']*)' is not a usable file.*: not found(?:; did you mean '(?P<g>[^']*)'\?)?",
        "Không tìm thấy hình '{s}' trong thư mục images/{g_vi}.",
    ),
    (
        "long_sentence",
        r"sentence of (?P<n>\d+) syllables \(over (?P<m>\d+)\)",
        "Câu dài {n} tiếng (quá {m}): hãy tách câu.",
    ),
    (
        "legal_number_in_body",
        r"legal document number '(?P<s>[^']*)'",
        "Số hiệu văn bản '{s}' nằm trong thân bài: hãy chuyển xuống ghi chú '> **Căn cứ:** ...' cuối bài.",
    ),
    ("audio_type", r"recordings must be MP3", "Bản ghi âm phải là tệp MP3 (.mp3) hoặc Opus (.opus, .ogg)."),
    (
        "audio_too_large",
        r"recording is (?P<n>\d+) bytes; the limit is (?P<m>\d+)",
        "Bản ghi âm nặng {n} byte, quá giới hạn {m} byte.",
    ),
    (
        "audio_bytes_mismatch",
        r"the file's bytes are not an? (?P<t>MP3|Ogg Opus) recording",
        "Nội dung tệp không phải bản ghi âm {t} (đuôi tệp không khớp).",
    ),
    (
        "bad_audio_name",
        r"recording file names are .*rename it '(?P<s>[^']*)'",
        "Tên tệp ghi âm chỉ gồm chữ thường không dấu, số, '-', '_' và đuôi .mp3, .opus, .ogg: hãy đổi thành '{s}'.",
    ),
    (
        "audio_not_local",
        r"'audio' must name a file of this course's audio/",
        "'audio' phải là tệp trong thư mục audio/ của khoá học, ví dụ audio/ten-bai.mp3.",
    ),
    (
        "audio_refused",
        r"recording '(?P<s>[^']*)' was refused",
        "Bản ghi âm '{s}' không dùng được: chính tệp ghi âm bị từ chối (xem lỗi của tệp đó).",
    ),
    (
        "audio_not_found",
        r"recording '(?P<s>[^']*)' was not found(?:.*did you mean '(?P<g>[^']*)'\?)?",
        "Không tìm thấy bản ghi âm '{s}' trong thư mục audio/{g_vi}.",
    ),
    ("image_type", r"images must be SVG, PNG, JPEG or WebP", "Hình phải là tệp SVG, PNG, JPEG hoặc WebP."),
    (
        "image_too_large",
        r"image is (?P<n>\d+) bytes; the limit is (?P<m>\d+)",
        "Hình nặng {n} byte, quá giới hạn {m} byte.",
    ),
    (
        "image_bytes_mismatch",
        r"the file's bytes are not a (?P<t>\w+) image",
        "Nội dung tệp không phải hình {t} (đuôi tệp không khớp).",
    ),
    ("svg_declaration", r"SVG must not contain a DOCTYPE", "SVG không được chứa DOCTYPE, entity hay chỉ thị xử lý."),
    ("svg_malformed", r"SVG is not well-formed XML", "SVG viết sai cú pháp XML."),
    ("svg_root", r"the root element of an SVG file must be <svg>", "Phần tử gốc của tệp SVG phải là <svg>."),
    (
        "svg_slow",
        r"SVG refused: (?P<s>.*) can make a phone draw slowly",
        "SVG bị từ chối: {s} có thể làm điện thoại vẽ rất chậm; chỉ dùng các hình đơn giản.",
    ),
    (
        "svg_nested_use",
        r"SVG refused: a <use> shows",
        "SVG bị từ chối: <use> lồng nhau (các bản sao nhân lên rất nhanh).",
    ),
    (
        "svg_too_many_elements",
        r"SVG refused: (?P<n>\d+) elements \(limit (?P<m>\d+)",
        "SVG bị từ chối: {n} phần tử, quá giới hạn {m}.",
    ),
    (
        "svg_too_complex",
        r"SVG refused: its shapes hold (?P<n>\d+) numbers \(limit (?P<m>\d+)\)",
        "SVG bị từ chối: các hình có {n} con số toạ độ, quá giới hạn {m}: hãy vẽ đơn giản hơn.",
    ),
    ("svg_unsafe", r"SVG refused: (?P<s>.*)", "SVG bị từ chối vì không an toàn: {s}."),
    ("svg_no_viewbox", r"SVG has no viewBox", "SVG chưa có viewBox: hình sẽ không co giãn theo màn hình."),
    ("svg_text", r"SVG contains <text>", "SVG có chữ (<text>): hãy để ý nghĩa trong lời mô tả (alt)."),
    (
        "glossary_bad_term",
        r"a glossary heading needs a term",
        "Mỗi tiêu đề '## ' của bảng từ cần một từ dài 1 đến 100 ký tự.",
    ),
    (
        "glossary_not_plain",
        r"'(?P<t>[^']*)': the explanation must be one plain paragraph",
        "'{t}': lời giải thích phải là một đoạn văn thường (không danh sách, không tiêu đề).",
    ),
    (
        "glossary_two_paragraphs",
        r"'(?P<t>[^']*)': the explanation must be one paragraph",
        "'{t}': lời giải thích chỉ được một đoạn.",
    ),
    ("glossary_empty", r"'(?P<t>[^']*)' has no explanation", "'{t}' chưa có lời giải thích."),
    (
        "glossary_too_long",
        r"'(?P<t>[^']*)': explanation of (?P<n>\d+) words \(at most (?P<m>\d+)\)",
        "'{t}': lời giải thích dài {n} chữ (tối đa {m}).",
    ),
    (
        "glossary_long",
        r"'(?P<t>[^']*)': explanation of (?P<n>\d+) words \(keep it to (?P<m>\d+)\)",
        "'{t}': lời giải thích dài {n} chữ (nên giữ trong {m}).",
    ),
    (
        "glossary_duplicate",
        r"term '(?P<t>[^']*)' is defined twice \(first on line (?P<n>\d+)\)",
        "Từ '{t}' được giải thích hai lần (lần đầu ở dòng {n}).",
    ),
    (
        "glossary_stray_text",
        r"unexpected text: the glossary",
        "Bảng từ chỉ gồm các tiêu đề '## Từ', mỗi từ một đoạn giải thích.",
    ),
    ("quiz_empty", r"the quiz has no questions", "Bài kiểm tra chưa có câu hỏi nào (mỗi câu là một tiêu đề '## ')."),
    ("question_no_text", r"question heading has no text", "Tiêu đề câu hỏi chưa có nội dung."),
    (
        "question_duplicate_id",
        r"question id '(?P<q>[^']*)' is used twice \(first on line (?P<n>\d+)\)",
        "Mã câu hỏi '{q}' bị dùng hai lần (lần đầu ở dòng {n}).",
    ),
    (
        "question_no_options",
        r"question '(?P<q>[^']*)' has no options",
        "Câu '{q}' chưa có lựa chọn nào (danh sách '- [ ]' / '- [x]').",
    ),
    (
        "question_one_option",
        r"question '(?P<q>[^']*)' needs at least two options",
        "Câu '{q}' cần ít nhất hai lựa chọn.",
    ),
    ("question_no_answer", r"question '(?P<q>[^']*)' has no ticked", "Câu '{q}' chưa đánh dấu đáp án đúng '- [x]'."),
    (
        "question_too_many_options",
        r"question '(?P<q>[^']*)' has more than (?P<n>\d+) options",
        "Câu '{q}' có quá {n} lựa chọn.",
    ),
    (
        "option_not_task",
        r"option of question '(?P<q>[^']*)' must start",
        "Lựa chọn của câu '{q}' phải bắt đầu bằng '[ ]' hoặc '[x]'.",
    ),
    (
        "quiz_stray_block",
        r"unexpected (?P<w>.*) (?:before the first question|in question '(?P<q>[^']*)')",
        "Có nội dung không thuộc câu hỏi nào{q_vi}: "
        "mỗi câu gồm tiêu đề '## ', danh sách lựa chọn và lời giải thích '> '.",
    ),
    (
        "answers_cluster",
        r"right answers cluster: option (?P<p>\d+) is right in (?P<c>\d+) of (?P<n>\d+)",
        "Đáp án đúng dồn vào lựa chọn thứ {p} ở {c} trên {n} câu một đáp án: hãy đổi chỗ một số đáp án.",
    ),
    (
        "answers_first",
        r"in all (?P<n>\d+) multiple-choice questions the right options are exactly the first",
        "Ở cả {n} câu nhiều đáp án, các đáp án đúng đều đứng đầu: hãy xen kẽ đúng và sai.",
    ),
    (
        "answer_longest",
        r"the right answer is the longest option in (?P<c>\d+) of (?P<n>\d+)",
        "Đáp án đúng là lựa chọn dài nhất ở {c} trên {n} câu: hãy viết các lựa chọn sai dài tương tự.",
    ),
    (
        "option_giveaway",
        r"question '(?P<q>[^']*)': wrong option (?P<i>\d+) says '(?P<w>[^']*)'",
        "Câu '{q}': lựa chọn sai thứ {i} có chữ '{w}' mà đáp án đúng không có, "
        "người học sẽ đoán theo câu chữ: hãy viết các lựa chọn giống nhau.",
    ),
    (
        "pool_small",
        r"the pool has (?P<n>\d+) questions for (?P<a>\d+) asked per attempt: write at least (?P<m>\d+)",
        "Ngân hàng có {n} câu cho {a} câu mỗi lần làm: hãy viết ít nhất {m} câu (hoặc hỏi ít hơn bằng 'ask:').",
    ),
]
_COMPILED = [(code, re.compile(pattern, re.DOTALL), template) for code, pattern, template in _TABLE]

YAML_PLAIN_VI = {
    "a tab character": "có ký tự tab: hãy thụt lề bằng dấu cách, không dùng tab",
    "a second ':'": "có hai dấu ':' trên một dòng: hãy đặt giá trị trong ngoặc kép",
    "a line without": "có dòng không theo dạng 'khoá: giá trị'",
    "a quote is not closed": "dấu ngoặc kép chưa được đóng",
    "a '[' is not closed": "dấu '[' chưa được đóng: hãy đặt giá trị trong ngoặc kép",
    "a '{' is not closed": "dấu '{' chưa được đóng: hãy đặt giá trị trong ngoặc kép",
    "the indentation is uneven": "thụt lề không đều: các khoá phải thẳng hàng",
    "a value starts with '@'": "giá trị bắt đầu bằng '@' hoặc '`': hãy đặt trong ngoặc kép",
    "'&' or '*'": "giá trị bắt đầu bằng '&' hoặc '*': hãy đặt trong ngoặc kép",
}
YAML_OTHER_VI = "mỗi dòng viết 'khoá: giá trị'; giá trị có ':', '#', ngoặc kép hay ngoặc vuông thì đặt trong ngoặc kép"


def describe(problem: Problem) -> tuple[str, str]:
    """(code, Vietnamese message) of a problem; an unknown message keeps its English text under `content_problem`."""
    for code, pattern, template in _COMPILED:
        match = pattern.search(problem.message)
        if match:
            values = {name: value or "" for name, value in match.groupdict().items()}
            values["g_vi"] = f"; có phải ý bạn là '{values['g']}'?" if values.get("g") else ""
            values["q_vi"] = f" (ở câu '{values['q']}')" if values.get("q") else ""
            values["p_vi"] = _yaml_vi(values.get("p", ""))
            return code, template.format(**values).replace("?.", "?")  # "có phải ý bạn là '…'?" ends the sentence
    return "content_problem", problem.message


def _yaml_vi(plain: str) -> str:
    return next((vi for english, vi in YAML_PLAIN_VI.items() if plain.startswith(english)), YAML_OTHER_VI)
