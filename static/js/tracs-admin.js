/* The navigation sidebar starts folded on screens narrower than 1600 px, so a queue's columns have the page's
   width (a 1280 px laptop shows every column of every list); its toggle opens it, and Django's own
   nav_sidebar.js remembers that choice. This file loads before nav_sidebar.js (not deferred) for that. */
'use strict';
if (localStorage.getItem('django.admin.navSidebarIsOpen') === null && window.matchMedia('(max-width: 1599px)').matches) {
    localStorage.setItem('django.admin.navSidebarIsOpen', 'false');
}

/* Names for the controls that Django admin's own scripts draw without one (axe: aria-prohibited-attr,
   aria-input-field-name). They draw them after the page loads and again for each inline row added, so a
   MutationObserver names whatever appears. */
{
    // SelectFilter2 (filter_horizontal) puts its hint in aria-label on a bare <span>, which no assistive
    // technology reads: as an image, the label is announced.
    function nameTooltips(root) {
        root.querySelectorAll('.help-tooltip[aria-label]:not([role])').forEach((icon) => {
            icon.setAttribute('role', 'img');
        });
    }

    // select2 (autocomplete_fields) draws a combobox and a textbox beside the hidden <select>: both take the
    // field's own label, which Django draws for the <select>.
    function nameAutocompletes(root) {
        root.querySelectorAll('select.admin-autocomplete').forEach((select) => {
            const container = select.nextElementSibling;
            const label = select.id && document.querySelector(`label[for="${CSS.escape(select.id)}"]`);
            if (!label || !container || !container.classList.contains('select2')) {
                return;
            }
            if (!label.id) {
                label.id = `${select.id}_label`;
            }
            container.querySelectorAll('[role="combobox"], [role="textbox"]').forEach((control) => {
                const ids = [label.id];
                if (control.getAttribute('role') === 'combobox') {
                    const rendered = control.querySelector('[role="textbox"]');
                    if (rendered && rendered.id) {
                        ids.push(rendered.id);
                    }
                }
                control.setAttribute('aria-labelledby', ids.join(' '));
            });
        });
    }

    function nameAll() {
        nameTooltips(document);
        nameAutocompletes(document);
    }

    document.addEventListener('DOMContentLoaded', () => {
        nameAll();
        new MutationObserver(nameAll).observe(document.body, {childList: true, subtree: true});
    });
}
