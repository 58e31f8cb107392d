"""The public help page of the XML format, and the XSD and sample it offers for download."""

import html
import re

from django.test import Client
from django.urls import reverse
from lxml import etree

from filings.tax import LineCategory, fuels
from filings.xml.schema import NAMESPACE, SAMPLE_PATH, XSD_PATH


def test_help_page_is_public_and_documents_every_element(db):
    response = Client().get("/help/xml/fuel-tax-return/")
    assert response.status_code == 200
    page = re.sub(r"\s+", " ", html.unescape(response.content.decode()))
    assert "Fuel tax return: XML format, version 1" in page
    assert NAMESPACE in page
    for element in re.findall(r'<xs:element name="(\w+)"', XSD_PATH.read_text()):
        assert f"<code>{element}</code>" in page or re.search(rf"<code>\w+/{element}</code>", page), element
    for code, label in fuels():
        assert f"<code>{code}</code></th><td>{label}</td>" in page
    for code in LineCategory.values:
        assert f"<code>{code}</code>" in page
    assert "At most 100 MB." in page
    assert reverse("xml_schema_download") in page
    assert reverse("xml_sample_download") in page


def test_the_schema_and_the_sample_download_as_files(db):
    for name, path in (("xml_schema_download", XSD_PATH), ("xml_sample_download", SAMPLE_PATH)):
        response = Client().get(reverse(name))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/xml"
        assert response["Content-Disposition"] == f'attachment; filename="{path.name}"'
        assert b"".join(response.streaming_content) == path.read_bytes()
    schema = etree.XMLSchema(etree.parse(str(XSD_PATH)))
    assert schema.validate(etree.parse(str(SAMPLE_PATH)))
    assert reverse("xml_schema_download") == "/help/xml/fuel-tax-return/fuel-tax-return-1.xsd"
