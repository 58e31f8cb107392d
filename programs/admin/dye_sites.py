"""Staff administration of dye sites (seed 002, "Eligibility to dye fuel"): the sites TRA approved on an account,
created by the approval of a registration's dye-site part, or here by a registration officer for a paper
application (AT4905 and its document of the criteria). Saving goes through programs.services.dye_sites, which
checks seed 002's criteria and writes the access log; each refusal is shown beside its field."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.admin import StaffReadLoggedAdmin
from programs.models import DyeSite
from programs.models_dye_sites import FuelOutlet, SupplyMode
from programs.services import dye_sites as dye_site_services
from tracs.actors import actor_from_request


class DyeSiteForm(forms.ModelForm):
    supplied_by = forms.MultipleChoiceField(
        label=_("Supplied by"), choices=SupplyMode.choices, widget=forms.CheckboxSelectMultiple
    )
    outlets = forms.MultipleChoiceField(
        label=_("The dyed fuel is"), choices=FuelOutlet.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = DyeSite
        fields = [
            "account",
            "location",
            "name",
            "line1",
            "city",
            "province",
            "storage_litres",
            "security_features",
            "supplied_by",
            "outlets",
            "injector_security",
            "effective_date",
            "closed_on",
        ]

    def clean(self):
        data = super().clean()
        try:
            dye_site_services.criteria_values(data)
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                if field in self.fields and field not in self.errors:
                    self.add_error(field, errors)
        return data


@admin.register(DyeSite)
class DyeSiteAdmin(StaffReadLoggedAdmin):
    form = DyeSiteForm
    list_display = ["name", "account", "location", "storage_litres", "effective_date", "closed_on"]
    list_select_related = ["account__taxpayer", "location"]
    search_fields = ["name", "account__number", "account__taxpayer__legal_name", "location__number"]
    raw_id_fields = ["account", "location"]

    def staff_read_target(self, obj) -> tuple[str, str]:
        return obj.account.number, obj.account.on_behalf_of

    def has_delete_permission(self, request, obj=None):
        return False  # a site is closed (its closing date), never deleted: its reports name it

    def save_model(self, request, obj, form, change):
        dye_site_services.dye_site_save(site=obj, actor=actor_from_request(request))
