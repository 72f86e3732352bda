"""People: first and last names by language, email addresses (reserved example domains only).

Emails are ``first.last<n>@domain`` with ``n`` the customer's number, so they are unique per
customer; a customer who changes their email gets ``firstlast<n>.<version>@domain``. Domains are
the reserved ``example.*`` names (RFC 2606) so no generated address can reach a real person.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecommerce_pipeline.generate import columns

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": (
        "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
        "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
        "Charles", "Karen", "Daniel", "Emily", "Matthew", "Olivia", "Anthony", "Sophie", "Mark",
        "Chloe", "Oliver", "Amelia", "Jack", "Grace", "Harry", "Ella", "Liam", "Noah", "Emma",
        "Ava",
    ),
    "de": (
        "Lukas", "Leon", "Finn", "Jonas", "Paul", "Felix", "Maximilian", "Elias", "Jürgen", "Klaus",
        "Stefan", "Anna", "Mia", "Emma", "Hannah", "Lea", "Lena", "Sophie", "Marie", "Katharina",
        "Sabine", "Ursula", "Jörg", "Günter", "Mathilde", "Greta", "Lina", "Tobias",
    ),
    "fr": (
        "Gabriel", "Louis", "Raphaël", "Jules", "Adam", "Hugo", "Arthur", "Léo", "Théo", "Nicolas",
        "François", "Jérôme", "Camille", "Léa", "Manon", "Chloé", "Inès", "Louise", "Juliette",
        "Élodie", "Céline", "Margaux", "Amélie", "Zoé", "Clément", "Antoine",
    ),
    "es": (
        "Hugo", "Martín", "Lucas", "Mateo", "Pablo", "Álvaro", "Javier", "Sergio", "José", "Carlos",
        "Lucía", "Sofía", "María", "Martina", "Paula", "Valeria", "Carmen", "Elena", "Laura",
        "Nuria", "Inés", "Alba", "Raúl", "Andrés",
    ),
    "it": (
        "Leonardo", "Francesco", "Alessandro", "Lorenzo", "Matteo", "Andrea", "Marco", "Giuseppe",
        "Luca", "Niccolò", "Sofia", "Giulia", "Aurora", "Alice", "Ginevra", "Emma", "Giorgia",
        "Chiara", "Francesca", "Martina", "Elena", "Beatrice", "Federica", "Simone",
    ),
    "nl": (
        "Daan", "Sem", "Lucas", "Levi", "Finn", "Milan", "Bram", "Thijs", "Jesse", "Ruben", "Emma",
        "Julia", "Mila", "Sophie", "Tess", "Zoë", "Sara", "Anouk", "Fleur", "Lotte", "Iris",
        "Femke", "Sanne", "Joost",
    ),
    "pt": (
        "Miguel", "Arthur", "Heitor", "Bernardo", "Davi", "Gabriel", "Pedro", "João", "Lucas",
        "Rafael", "Helena", "Alice", "Laura", "Manuela", "Valentina", "Sophia", "Isabella",
        "Luíza", "Beatriz", "Mariana", "Ana", "Júlia", "Letícia", "Thiago",
    ),
}  # fmt: skip

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "en": (
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
        "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker",
        "Hall", "Young", "King", "Wright", "Evans", "Roberts", "Green", "Hughes", "O'Brien",
        "Murphy", "Campbell", "Patel", "Nguyen", "Kim",
    ),
    "de": (
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
        "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
        "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Werner",
    ),
    "fr": (
        "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
        "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
        "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    ),
    "es": (
        "García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez",
        "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez",
        "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez",
    ),
    "it": (
        "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
        "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo",
        "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani",
    ),
    "nl": (
        "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
        "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
        "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf",
    ),
    "pt": (
        "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
        "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares",
        "Fernandes", "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Araújo",
    ),
}  # fmt: skip

EMAIL_DOMAINS: tuple[str, ...] = (
    "example.com",
    "example.net",
    "example.org",
    "mail.example.com",
    "inbox.example.net",
    "post.example.org",
)


class NameBook:
    """All names in one flat list per kind, with each language's slice."""

    def __init__(self, languages: tuple[str, ...]) -> None:
        self.languages = languages
        self.first_names: list[str] = []
        self.last_names: list[str] = []
        self._first_ranges: list[tuple[int, int]] = []
        self._last_ranges: list[tuple[int, int]] = []
        for language in languages:
            self._first_ranges.append(_extend(self.first_names, FIRST_NAMES[language]))
            self._last_ranges.append(_extend(self.last_names, LAST_NAMES[language]))
        self.first_email_words = columns.texts([_email_word(name) for name in self.first_names])
        self.last_email_words = columns.texts([_email_word(name) for name in self.last_names])

    def sample(
        self, rng: np.random.Generator, language_of_person: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(first name index, last name index) per person, from the person's language."""
        first = np.empty(len(language_of_person), dtype=np.int32)
        last = np.empty(len(language_of_person), dtype=np.int32)
        for language in range(len(self.languages)):
            members = np.flatnonzero(language_of_person == language)
            low, high = self._first_ranges[language]
            first[members] = rng.integers(low, high, size=len(members))
            low, high = self._last_ranges[language]
            last[members] = rng.integers(low, high, size=len(members))
        return first, last


def _extend(target: list[str], names: tuple[str, ...]) -> tuple[int, int]:
    start = len(target)
    target.extend(names)
    return start, len(target)


def _email_word(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in ascii_name.lower() if ch.isalnum())


def emails(
    book: NameBook,
    first: np.ndarray,
    last: np.ndarray,
    customer_number: np.ndarray,
    version: np.ndarray,
    domain: np.ndarray,
) -> pa.Array:
    """Email per row: ``first.last<n>@d`` (version 0) or ``firstlast<n>.<version>@d``."""
    first_text = columns.labels(book.first_email_words, first)
    last_text = columns.labels(book.last_email_words, last)
    number_text = pc.cast(columns.integers(customer_number), pa.string())
    domain_text = columns.labels(EMAIL_DOMAINS, domain)
    dot, at, nothing = (columns.text_scalar(text) for text in (".", "@", ""))
    original = pc.binary_join_element_wise(
        first_text, dot, last_text, number_text, at, domain_text, nothing
    )
    version_text = pc.cast(columns.integers(version), pa.string())
    changed = pc.binary_join_element_wise(
        first_text, last_text, number_text, dot, version_text, at, domain_text, nothing
    )
    return pc.if_else(columns.booleans(version == 0), original, changed)
