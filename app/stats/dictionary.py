"""The data dictionary: every column of the published tables, once, for CSV, XLSX and datapackage.json.

docs/statistics.md gives the same dictionary in prose; tests/stats/test_contract.py checks that the two
name the same columns.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Frictionless Table Schema type: string, integer, number, date, datetime
    vi: str  # the Vietnamese header of the XLSX download
    description: str  # English, for datapackage.json
    explained: str  # Vietnamese, for the XLSX sheet that explains the columns


def _margin(of: str, vi: str) -> Column:
    return Column(
        f"{of}_margin",
        "number",
        f"Sai số ± ({vi})",
        f"95% margin of {of}: the true value lies within ± this of the published one in 95 of 100 cases",
        f"Biên sai số 95% của cột '{vi}': 95 trên 100 lần, số thật nằm trong khoảng ± giá trị này.",
    )


RELEASE = Column(
    "release", "integer", "Đợt công bố", "the release the row comes from", "Số thứ tự đợt công bố số liệu."
)
AS_OF = Column(
    "as_of",
    "datetime",
    "Thời điểm số liệu",
    "when the counters were read, Vietnam time (+07:00)",
    "Thời điểm chốt số liệu, giờ Việt Nam.",
)
COURSE = Column(
    "course",
    "string",
    "Khóa học",
    "the course slug; empty: all courses, each learner counted once",
    "Mã khóa học; để trống là mọi khóa học (mỗi người chỉ tính một lần).",
)
LEVEL = Column(
    "level",
    "string",
    "Cấp",
    "commune, province or national: never add rows of different levels",
    "Cấp của dòng: xã/phường (commune), tỉnh/thành (province) hay toàn quốc (national). Không cộng các cấp với nhau.",
)
CODE = Column(
    "code",
    "string",
    "Mã đơn vị",
    "5-digit commune code, 2-digit province code (official 2025 codes) or 'national'; text, keep leading zeros",
    "Mã xã (5 chữ số), mã tỉnh (2 chữ số) theo danh mục 2025, hoặc 'national' cho toàn quốc. Giữ nguyên số 0 ở đầu.",
)
NAME = Column("name", "string", "Tên đơn vị", "the locality's official name", "Tên chính thức của đơn vị.")

COMPLETION: tuple[Column, ...] = (
    LEVEL,
    CODE,
    NAME,
    Column(
        "learners",
        "integer",
        "Người học",
        "learners who started at least one lesson (of the course; without course: of any course), noisy",
        "Số người đã bắt đầu học (khóa này; nếu không chọn khóa: ít nhất một khóa), có cộng nhiễu bảo vệ.",
    ),
    _margin("learners", "Người học"),
    Column(
        "completed",
        "integer",
        "Hoàn thành",
        "learners who completed the course (without course: at least one course), noisy, at most learners",
        "Số người đã hoàn thành khóa học (nếu không chọn khóa: ít nhất một khóa), có nhiễu, không vượt số người học.",
    ),
    _margin("completed", "Hoàn thành"),
    Column(
        "completion_rate",
        "number",
        "Tỷ lệ hoàn thành",
        "completed / learners, 4 significant digits",
        "Hoàn thành chia cho người học, làm tròn 4 chữ số có nghĩa.",
    ),
    _margin("completion_rate", "Tỷ lệ hoàn thành"),
    Column(
        "target",
        "integer",
        "Dân số trưởng thành",
        "adults in the locality as given by an administrator; a province without its own figure: its communes' sum",
        "Số người trưởng thành của đơn vị (do quản trị nhập); tỉnh chưa có số riêng thì cộng từ các xã đã có số.",
    ),
    Column(
        "target_communes",
        "integer",
        "Số xã có dân số",
        "province rows: how many of its communes have a target (fewer than communes: a summed target is partial)",
        "Dòng cấp tỉnh: số xã đã có số người trưởng thành. Ít hơn tổng số xã thì số cộng dồn chưa đủ.",
    ),
    Column(
        "communes",
        "integer",
        "Tổng số xã",
        "province rows: how many communes the province has",
        "Dòng cấp tỉnh: tổng số xã, phường, đặc khu của tỉnh.",
    ),
    Column(
        "coverage_rate",
        "number",
        "Tỷ lệ phủ",
        "completed / target, 4 significant digits",
        "Hoàn thành chia cho số người trưởng thành, 4 chữ số có nghĩa.",
    ),
    _margin("coverage_rate", "Tỷ lệ phủ"),
    Column(
        "flagged",
        "integer",
        "Hoàn thành quá nhanh",
        "completions flagged as implausibly fast (province and national rows), noisy",
        "Số lượt hoàn thành nhanh bất thường (chỉ cấp tỉnh và toàn quốc), có nhiễu.",
    ),
    _margin("flagged", "Hoàn thành quá nhanh"),
    Column(
        "ratings",
        "integer",
        "Lượt đánh giá",
        "ratings behind satisfaction (province and national rows), noisy",
        "Số lượt đánh giá dùng để tính mức hài lòng (cấp tỉnh và toàn quốc), có nhiễu.",
    ),
    Column(
        "satisfaction",
        "number",
        "Mức hài lòng",
        "mean stars from 1 to 5, one decimal, only with enough ratings",
        "Số sao trung bình từ 1 đến 5, một chữ số thập phân, chỉ khi đủ lượt đánh giá.",
    ),
    _margin("satisfaction", "Mức hài lòng"),
    COURSE,
    RELEASE,
    AS_OF,
)

SERIES: tuple[Column, ...] = (
    Column(
        "day",
        "date",
        "Ngày",
        "a Vietnam day on which a release was published",
        "Ngày (giờ Việt Nam) có đợt công bố.",
    ),
    LEVEL,
    CODE,
    NAME,
    Column(
        "completed",
        "integer",
        "Thay đổi trong ngày",
        "change of the running total since the last published day (new completions minus those withdrawn)",
        "Số hoàn thành tăng thêm so với ngày công bố trước (đã trừ người xóa dữ liệu hoặc chuyển đi).",
    ),
    _margin("completed", "Thay đổi trong ngày"),
    Column(
        "running_total",
        "integer",
        "Lũy kế hoàn thành",
        "completions counted at that day's release, noisy",
        "Tổng số hoàn thành tính đến đợt công bố của ngày đó, có nhiễu.",
    ),
    _margin("running_total", "Lũy kế hoàn thành"),
    COURSE,
    RELEASE,
    AS_OF,
)
