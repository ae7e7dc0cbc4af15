"""No form renders a maxlength: over-long text reaches the form and is refused there.

A browser stops typing at an input's maxlength and cuts a paste short without
a word; the form's own max_length check names the limit beside the field and
shows the text again, whole (templates/django/forms/widgets/attrs.html).
"""

import pytest
from django import forms

from organizers.forms import InviteForm
from registrations.forms.emails import EmailSettingsForm
from registrations.forms.refunds import RefundActionForm


class Short(forms.Form):
    name = forms.CharField(max_length=5)
    note = forms.CharField(max_length=5, widget=forms.Textarea)


def test_no_widget_renders_a_maxlength_and_other_attributes_stay():
    html = str(Short())

    assert "maxlength" not in html
    assert 'name="name"' in html and "required" in html
    assert 'id="id_note"' in html and 'cols="40"' in html


def test_over_long_text_is_refused_beside_its_field_and_shown_again_whole():
    form = Short(data={"name": "abcdefgh", "note": "x" * 9})

    assert not form.is_valid()
    assert form.errors["name"] == [
        "Ensure this value has at most 5 characters (it has 8)."
    ]
    assert 'value="abcdefgh"' in str(form["name"])
    assert "x" * 9 in str(form["note"])


@pytest.mark.parametrize(
    ("form", "field"),
    [
        (InviteForm, "first_name"),
        (RefundActionForm, "reason"),
        (EmailSettingsForm, "reminder_offsets"),
    ],
)
def test_the_console_forms_render_no_maxlength(form, field):
    """Forms with no maxlength of their own dropped: Django's widgets add none."""
    bound = form()[field]

    assert bound.field.max_length
    assert "maxlength" not in str(bound)
