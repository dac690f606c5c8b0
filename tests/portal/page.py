"""Read a rendered portal page the way a user sees it: field errors, the error summary, values, messages."""

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Elements a browser shows apart from their neighbours; inline ones (a, strong, span) run on.
BLOCK = {"br", "dd", "div", "dt", "h1", "h2", "h3", "li", "option", "p", "td", "th", "tr", "ul"}


class Node:
    def __init__(self, tag: str, attrs: dict, parent: "Node | None"):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    @property
    def text(self) -> str:
        if self.tag in {"script", "style"}:
            return ""
        parts = [c if isinstance(c, str) else f" {c.text} " if c.tag in BLOCK else c.text for c in self.children]
        return " ".join("".join(parts).split())

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, *, cls: str | None = None, **attrs) -> list["Node"]:
        return [
            node
            for node in self.iter()
            if (tag is None or node.tag == tag)
            and (cls is None or cls in node.classes)
            and all(node.attrs.get(name) == value for name, value in attrs.items())
        ]

    def find(self, tag: str | None = None, *, cls: str | None = None, **attrs) -> "Node | None":
        found = self.find_all(tag, cls=cls, **attrs)
        return found[0] if found else None


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#document", {}, None)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {name: value if value is not None else "" for name, value in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, {n: v if v is not None else "" for n, v in attrs}, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


class Page:
    """A parsed HTML response."""

    def __init__(self, response):
        builder = _Builder()
        builder.feed(response.content.decode())
        self.root = builder.root

    @property
    def text(self) -> str:
        return self.root.text

    def field_errors(self, name: str) -> list[str]:
        """The errors printed next to a form field."""
        return [p.text for p in self.root.find_all("p", cls="error", id=f"id_{name}_error")]

    def field_error_links(self, name: str) -> list[str]:
        return [
            a.attrs["href"]
            for p in self.root.find_all("p", cls="error", id=f"id_{name}_error")
            for a in p.find_all("a")
        ]

    def summary(self) -> list[str]:
        """The lines of the error summary at the top of the form."""
        box = self.root.find("div", cls="error-summary")
        return [li.text for li in box.find_all("li")] if box else []

    def summary_targets(self) -> list[str]:
        """Where the summary's links jump to (the fields' ids)."""
        box = self.root.find("div", cls="error-summary")
        return [a.attrs["href"] for li in box.find_all("li") for a in li.find_all("a")] if box else []

    def value(self, name: str):
        """What the form shows in a field: an input's value, a select's chosen option(s), a textarea's text."""
        inputs = [n for n in self.root.find_all(name=name) if n.tag in {"input", "select", "textarea"}]
        if not inputs:
            raise AssertionError(f"no field named {name!r}")
        first = inputs[0]
        if first.tag == "textarea":
            return "".join(c for c in first.children if isinstance(c, str)).strip()
        if first.tag == "select":
            return [o.attrs.get("value") for o in first.find_all("option") if "selected" in o.attrs]
        if first.attrs.get("type") in {"checkbox", "radio"}:
            return [n.attrs.get("value") for n in inputs if "checked" in n.attrs]
        return first.attrs.get("value", "")

    def options(self, name: str) -> list[str]:
        """The choices a field offers: option texts of a select, labels of checkboxes/radios."""
        select = self.root.find("select", name=name)
        if select is not None:
            return [o.text for o in select.find_all("option")]
        return [label.text for label in self.root.find_all("label") if label.find("input", name=name)]

    def has_field(self, name: str) -> bool:
        return any(n.tag in {"input", "select", "textarea"} for n in self.root.find_all(name=name))

    def messages(self) -> list[str]:
        box = self.root.find("ul", cls="messages")
        return [li.text for li in box.find_all("li")] if box else []

    def rows(self, cls: str | None = None) -> list[str]:
        """The text of each body row of the page's tables (optionally only rows of a class)."""
        return [tr.text for tbody in self.root.find_all("tbody") for tr in tbody.find_all("tr", cls=cls)]

    def links(self) -> list[str]:
        return [a.attrs.get("href", "") for a in self.root.find_all("a")]

    def section(self, heading: str) -> str:
        """The text of the <section> headed by `heading`."""
        for section in self.root.find_all("section"):
            title = section.find("h2")
            if title is not None and title.text == heading:
                return section.text
        raise AssertionError(f"no section {heading!r}")

    # The admin's markup

    def admin_messages(self) -> list[str]:
        box = self.root.find("ul", cls="messagelist")
        return [li.text for li in box.find_all("li")] if box else []

    def readonly(self, field: str) -> str:
        """A read-only field's shown value on an admin change page."""
        row = self.root.find(cls=f"field-{field}")
        if row is None:
            raise AssertionError(f"no field {field!r} on the page")
        return row.find(cls="readonly").text
