"""Cre lines of the Allen Brain Observatory and the cell class each one labels."""

from __future__ import annotations

from neurn_keras.errors import InvalidValueError, UnknownCreLineError

EXCITATORY = "excitatory"
INHIBITORY = "inhibitory"
UNKNOWN = "unknown"
CELL_CLASSES = (EXCITATORY, INHIBITORY)

#: Gene of each Cre driver (the part of the line's name before the first "-") and the
#: class of the cells it labels.
CRE_GENE_CLASSES: dict[str, str] = {
    **{
        gene: EXCITATORY
        for gene in (
            "Emx1",
            "Slc17a7",
            "Cux2",
            "Rorb",
            "Scnn1a",
            "Nr5a1",
            "Rbp4",
            "Fezf2",
            "Tlx3",
            "Ntsr1",
        )
    },
    **{gene: INHIBITORY for gene in ("Sst", "Vip", "Pvalb")},
}


def cre_gene(cre_line: str) -> str:
    """The driver gene of a Cre line: ``"Cux2-CreERT2"`` → ``"Cux2"``.

    A genotype suffix such as ``"/wt"`` is dropped first.
    """
    return str(cre_line).strip().split("/")[0].split("-")[0]


def cre_line_from_genotype(genotype: str) -> str:
    """The Cre line of an Allen genotype string, as the Allen SDK reads it.

    ``"Cux2-CreERT2/wt;Camk2a-tTA/wt;Ai93(TITL-GCaMP6f)/Ai93(TITL-GCaMP6f)"`` →
    ``"Cux2-CreERT2"`` (first ``;`` field, without its ``/wt`` allele suffix).
    """
    return str(genotype).split(";")[0].split("/")[0].strip()


def cell_class(cre_line: str) -> str:
    """``"excitatory"`` or ``"inhibitory"`` for a Cre line; raises for a line it does not know.

    Args:
        cre_line: full line name (``"Rorb-IRES2-Cre"``) or its gene (``"Rorb"``).

    Raises:
        UnknownCreLineError: the line's gene is not in :data:`CRE_GENE_CLASSES`. A line
            whose class you know can be added there (``CRE_GENE_CLASSES["Gad2"] =
            "inhibitory"``); every check in the package reads that one table.
    """
    gene = cre_gene(cre_line)
    if gene not in CRE_GENE_CLASSES:
        known = ", ".join(sorted(CRE_GENE_CLASSES))
        raise UnknownCreLineError(
            f"cell_class: unknown Cre line {cre_line!r} (gene {gene!r}); known genes: {known}. "
            f"If you know its class, add it: neurn_keras.neuro.CRE_GENE_CLASSES[{gene!r}] = "
            "'excitatory' or 'inhibitory'"
        )
    value = CRE_GENE_CLASSES[gene]
    if value not in CELL_CLASSES:
        raise InvalidValueError(
            f"cell_class: CRE_GENE_CLASSES[{gene!r}] is {value!r}; classes must be one of "
            f"{list(CELL_CLASSES)}"
        )
    return value
