"""A field border is worded the same on the views, in the numbers table, in the report and in
the field-limits text (issue 16, item 8): one function produces each form."""

from __future__ import annotations

from planning.anatomy.levels import display_name
from planning.export.field_limits import field_dict, field_limits_text
from planning.export.report import report_figures
from planning.field.wording import border_label_forms, border_sentence
from tests.planning.plan_fixtures import default_plan


def test_border_words_are_one_wording_everywhere() -> None:
    result = default_plan(1)
    field = result.field
    prefix = result.case.thoracic_prefix
    for n, side in enumerate(("superior", "inferior")):
        description = getattr(field, f"{side}_border_description")
        level = display_name(field.reach_levels[n], prefix)
        sentence = border_sentence(
            getattr(field, f"{side}_border_z_mm"),
            description,
            getattr(field, f"{side}_border_location"),
            level,
        )
        # the report's field table and the field-limits text say the same sentence
        texts = [t.get_text() for figure in report_figures(result) for t in figure.axes[0].texts]
        assert sentence in texts
        data = field_dict(result)
        written = data["field"]
        from_json = border_sentence(
            written[f"{side}_border_z_mm"],  # as field.json holds it (two decimals)
            written[f"{side}_border_description"],
            written[f"{side}_border_lies_in"],
            written[f"{side}_level"],
        )
        assert from_json.split(",", 1)[1] == sentence.split(",", 1)[1]
        assert f"{side} border: {from_json}" in field_limits_text(data)
        # the label on the views starts with the same description
        long, medium, short = border_label_forms(side, description, level)
        assert long == f"{side} border: {description}"
        assert medium == f"{side[:3]}. border: {level}" and short == f"{side[:3]}.: {level}"
        # the practice reference's labels are the same words after "ref. "
        assert border_label_forms(side, description, level, "ref. ")[0] == f"ref. {long}"
