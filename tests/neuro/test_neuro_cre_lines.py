"""Cre lines → cell classes; unknown lines are reported, never guessed."""

import pytest

from neurn_keras.neuro import (
    UnknownCreLineError,
    cell_class,
    cre_gene,
    cre_line_from_genotype,
)

EXCITATORY = [
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
]
INHIBITORY = ["Sst", "Vip", "Pvalb"]


@pytest.mark.parametrize("gene", EXCITATORY)
def test_excitatory_genes(gene):
    assert cell_class(gene) == "excitatory"


@pytest.mark.parametrize("gene", INHIBITORY)
def test_inhibitory_genes(gene):
    assert cell_class(gene) == "inhibitory"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Cux2-CreERT2", "excitatory"),
        ("Rorb-IRES2-Cre", "excitatory"),
        ("Scnn1a-Tg3-Cre", "excitatory"),
        ("Rbp4-Cre_KL100", "excitatory"),
        ("Sst-IRES-Cre", "inhibitory"),
        ("Vip-IRES-Cre/wt", "inhibitory"),
        ("Pvalb-IRES-Cre", "inhibitory"),
    ],
)
def test_full_line_names(line, expected):
    assert cell_class(line) == expected


def test_genotype_gives_the_line_as_the_sdk_reads_it():
    genotype = "Cux2-CreERT2/wt;Camk2a-tTA/wt;Ai93(TITL-GCaMP6f)/Ai93(TITL-GCaMP6f)"
    assert cre_line_from_genotype(genotype) == "Cux2-CreERT2"
    assert cre_gene("Sst-IRES-Cre/wt") == "Sst"


def test_unknown_line_is_reported_with_its_name():
    with pytest.raises(UnknownCreLineError, match=r"'Gad2-IRES-Cre'.*gene 'Gad2'.*add it"):
        cell_class("Gad2-IRES-Cre")
    assert issubclass(UnknownCreLineError, ValueError)


def test_the_table_can_be_extended(monkeypatch):
    from neurn_keras.neuro import CRE_GENE_CLASSES

    monkeypatch.setitem(CRE_GENE_CLASSES, "Gad2", "inhibitory")
    assert cell_class("Gad2-IRES-Cre") == "inhibitory"
    monkeypatch.setitem(CRE_GENE_CLASSES, "Gad2", "interneuron")
    with pytest.raises(ValueError, match="classes must be one of"):
        cell_class("Gad2")


def test_the_issue_lists_ten_excitatory_and_three_inhibitory_genes():
    from neurn_keras.neuro import CRE_GENE_CLASSES

    assert sorted(CRE_GENE_CLASSES) == sorted(EXCITATORY + INHIBITORY)
