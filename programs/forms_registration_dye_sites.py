"""The dye-site part's form of a fuel tax registration (reason "Mark (dye) fuel"): one repeatable row per site
where fuel will be dyed, with seed 002's criteria ("Eligibility to dye fuel"), each refusal beside its field; the
service (programs.services.registration_dye_sites) checks again."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from programs import money, registration_rules
from programs.forms_registration import LitresField, RowForm, RowFormSet
from programs.models_dye_sites import MINIMUM_STORAGE_LITRES, FuelOutlet, SupplyMode
from programs.services import dye_sites

SECURITY_YES_REQUIRED = _(
    "TRA registers a dye site only if it has security features that prevent or inhibit general public access."
)
INJECTOR_YES_REQUIRED = _(
    "TRA registers a dye site only if its dye injector has appropriate security features."
)


class DyeSiteForm(RowForm):
    name = forms.CharField(label=_("Site name"), max_length=200, help_text=_("For example Nisku terminal"))
    line1 = forms.CharField(label=_("Alberta address or legal land location"), max_length=200)
    city = forms.CharField(label=_("City, town or county"), max_length=100)
    storage_litres = LitresField(
        label=_("Permanent storage capacity in litres (diesel and gasoline together)"),
        max_digits=15,
        decimal_places=0,
        help_text=_("At least 500,000 litres, in whole litres"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 12}),
        error_messages={"invalid": dye_sites.STORAGE_REQUIRED, "required": dye_sites.STORAGE_REQUIRED},
    )
    secured = forms.BooleanField(
        label=_("Yes, the site has security features that prevent or inhibit general public access"),
        required=False,
    )
    security_features = forms.CharField(
        label=_("Describe the security features"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": dye_sites.SECURITY_REQUIRED},
    )
    supplied_by = forms.MultipleChoiceField(
        label=_("The site is supplied by"),
        choices=SupplyMode.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": dye_sites.SUPPLY_REQUIRED},
    )
    outlets = forms.MultipleChoiceField(
        label=_("The dyed fuel is"),
        choices=FuelOutlet.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": dye_sites.OUTLET_REQUIRED},
    )
    injector_secured = forms.BooleanField(
        label=_("Yes, the dye injector has security features"), required=False
    )
    injector_security = forms.CharField(
        label=_("Describe the dye injector's security features"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": dye_sites.INJECTOR_REQUIRED},
    )

    def clean_storage_litres(self):
        litres = self.cleaned_data["storage_litres"]
        if litres is not None and litres < MINIMUM_STORAGE_LITRES:
            raise forms.ValidationError(
                dye_sites.STORAGE_TOO_SMALL
                % {
                    "minimum": money.format_litres(MINIMUM_STORAGE_LITRES),
                    "litres": money.format_litres(litres),
                },
                code="storage",
            )
        return litres

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("secured"):
            self.add_error("secured", SECURITY_YES_REQUIRED)
        if not cleaned.get("injector_secured"):
            self.add_error("injector_secured", INJECTOR_YES_REQUIRED)
        return cleaned

    @staticmethod
    def initial_from(site) -> dict:
        return {
            "name": site.name,
            "line1": site.line1,
            "city": site.city,
            "storage_litres": site.storage_litres,
            "secured": True,
            "security_features": site.security_features,
            "supplied_by": site.supplied_by,
            "outlets": site.outlets,
            "injector_secured": True,
            "injector_security": site.injector_security,
        }


DyeSiteFormSet = forms.formset_factory(
    DyeSiteForm,
    formset=RowFormSet,
    extra=0,
    max_num=registration_rules.MAX_LOCATIONS,
    absolute_max=registration_rules.MAX_LOCATIONS,
)
