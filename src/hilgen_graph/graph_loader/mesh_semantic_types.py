"""APPROXIMATION: MeSH tree branch -> UMLS semantic type, for MeSH data without semantic types.

The TSV form of MeSH (``kb/mesh2024``) carries no semantic types; UMLS assigns them per concept.
This table gives every descriptor the semantic type of the most specific listed branch its tree
numbers fall under (one type per tree number; a descriptor with tree numbers in several branches
gets several types, e.g. an organic chemical that is also a pharmacologic agent gets T109 and
T121, as UMLS often does). It is an approximation made by hand from the branch names, NOT NLM's
assignment: for example every descriptor under C (Diseases) is "Disease or Syndrome" unless a
listed sub-branch says otherwise. When the official ``descYYYY.xml`` carries ``SemanticTypeList``
elements, those are used instead.
"""

from __future__ import annotations

# branch (tree-number prefix or category letter) -> TUI. The most specific match wins.
MESH_BRANCH_SEMANTIC_TYPES: dict[str, str] = {
    # A Anatomy
    "A": "T023",  # Body Part, Organ, or Organ Component
    "A01": "T029",  # Body Regions -> Body Location or Region
    "A10": "T024",  # Tissues -> Tissue
    "A11": "T025",  # Cells -> Cell
    "A12": "T031",  # Fluids and Secretions -> Body Substance
    "A15": "T022",  # Hemic and Immune Systems -> Body System
    "A16": "T018",  # Embryonic Structures -> Embryonic Structure
    "A18": "T002",  # Plant Structures -> Plant
    "A19": "T004",  # Fungal Structures -> Fungus
    "A20": "T026",  # Bacterial Structures -> Cell Component
    "A21": "T026",  # Viral Structures -> Cell Component
    # B Organisms
    "B": "T001",  # Organism
    "B01": "T204",  # Eukaryota -> Eukaryote
    "B01.050": "T008",  # Animals -> Animal
    "B01.050.150.900": "T010",  # Vertebrates -> Vertebrate
    "B01.050.150.900.090": "T011",  # Amphibians -> Amphibian
    "B01.050.150.900.248": "T012",  # Birds -> Bird
    "B01.050.150.900.493": "T013",  # Fishes -> Fish
    "B01.050.150.900.649": "T015",  # Mammals -> Mammal
    "B01.050.150.900.649.313.988.400.112.400.400": "T016",  # Humans -> Human
    "B01.050.150.900.833": "T014",  # Reptiles -> Reptile
    "B01.300": "T004",  # Fungi -> Fungus
    "B01.650": "T002",  # Plants -> Plant
    "B02": "T194",  # Archaea -> Archaeon
    "B03": "T007",  # Bacteria -> Bacterium
    "B04": "T005",  # Viruses -> Virus
    # C Diseases
    "C": "T047",  # Disease or Syndrome
    "C04": "T191",  # Neoplasms -> Neoplastic Process
    "C16.131": "T019",  # Congenital Abnormalities -> Congenital Abnormality
    "C23": "T046",  # Pathological Conditions, Signs and Symptoms -> Pathologic Function
    "C23.888": "T184",  # Signs and Symptoms -> Sign or Symptom
    "C25.723": "T037",  # Poisoning -> Injury or Poisoning
    "C26": "T037",  # Wounds and Injuries -> Injury or Poisoning
    # D Chemicals and Drugs
    "D": "T109",  # Organic Chemical
    "D01": "T197",  # Inorganic Chemicals -> Inorganic Chemical
    "D06": "T125",  # Hormones, ... -> Hormone
    "D08": "T126",  # Enzymes and Coenzymes -> Enzyme
    "D12": "T116",  # Amino Acids, Peptides, and Proteins
    "D13": "T114",  # Nucleic Acids, Nucleotides, and Nucleosides
    "D20": "T167",  # Complex Mixtures -> Substance
    "D23": "T123",  # Biological Factors -> Biologically Active Substance
    "D23.946": "T131",  # Toxins, Biological -> Hazardous or Poisonous Substance
    "D25": "T122",  # Biomedical and Dental Materials
    "D26": "T121",  # Pharmaceutical Preparations -> Pharmacologic Substance
    "D27": "T121",  # Chemical Actions and Uses -> Pharmacologic Substance
    # E Techniques and Equipment
    "E": "T061",  # Therapeutic or Preventive Procedure
    "E01": "T060",  # Diagnosis -> Diagnostic Procedure
    "E05": "T059",  # Investigative Techniques -> Laboratory Procedure
    "E07": "T074",  # Equipment and Supplies -> Medical Device
    # F Psychiatry and Psychology
    "F": "T041",  # Mental Process
    "F01": "T053",  # Behavior and Behavior Mechanisms -> Behavior
    "F03": "T048",  # Mental Disorders -> Mental or Behavioral Dysfunction
    "F04": "T090",  # Behavioral Disciplines and Activities -> Occupation or Discipline
    # G Phenomena and Processes
    "G": "T067",  # Phenomenon or Process
    "G01": "T070",  # Physical Phenomena -> Natural Phenomenon or Process
    "G02": "T070",  # Chemical Phenomena -> Natural Phenomenon or Process
    "G03": "T044",  # Metabolism -> Molecular Function
    "G04": "T043",  # Cell Physiological Phenomena -> Cell Function
    "G05": "T045",  # Genetic Phenomena -> Genetic Function
    "G05.360.340.024.340": "T028",  # Genes -> Gene or Genome
    "G06": "T070",  # Microbiological Phenomena
    "G07": "T039",  # Physiological Phenomena -> Physiologic Function
    "G08": "T042",  # ... Physiological Phenomena -> Organ or Tissue Function
    "G09": "T042",
    "G10": "T042",
    "G11": "T042",
    "G12": "T042",
    "G13": "T042",
    "G14": "T042",
    "G15": "T039",  # Plant Physiological Phenomena
    "G16": "T039",  # Biological Phenomena
    "G17": "T081",  # Mathematical Concepts -> Quantitative Concept
    # H-N, V, Z
    "H": "T090",  # Disciplines and Occupations -> Occupation or Discipline
    "H02": "T091",  # Health Occupations -> Biomedical Occupation or Discipline
    "I": "T090",  # Anthropology, Education, Sociology...
    "I02": "T065",  # Education -> Educational Activity
    "I03": "T056",  # Human Activities -> Daily or Recreational Activity
    "J": "T073",  # Technology, Industry, Agriculture -> Manufactured Object
    "J02": "T168",  # Food and Beverages -> Food
    "K": "T090",  # Humanities -> Occupation or Discipline
    "L": "T170",  # Information Science -> Intellectual Product
    "M": "T098",  # Named Groups -> Population Group
    "N": "T058",  # Health Care -> Health Care Activity
    "N01": "T080",  # Population Characteristics -> Qualitative Concept
    "N02": "T093",  # Health Care Facilities, Manpower, and Services -> Health Care Related Org.
    "N03": "T093",  # Health Care Economics and Organizations
    "V": "T170",  # Publication Characteristics -> Intellectual Product
    "Z": "T083",  # Geographicals -> Geographic Area
}

# Names of the types above, used when the Semantic Network file is not available.
APPROXIMATION_TYPE_NAMES: dict[str, str] = {
    "T001": "Organism", "T002": "Plant", "T004": "Fungus", "T005": "Virus",
    "T007": "Bacterium", "T008": "Animal", "T010": "Vertebrate", "T011": "Amphibian",
    "T012": "Bird", "T013": "Fish", "T014": "Reptile", "T015": "Mammal", "T016": "Human",
    "T018": "Embryonic Structure", "T019": "Congenital Abnormality", "T022": "Body System",
    "T023": "Body Part, Organ, or Organ Component", "T024": "Tissue", "T025": "Cell",
    "T026": "Cell Component", "T028": "Gene or Genome", "T029": "Body Location or Region",
    "T031": "Body Substance", "T037": "Injury or Poisoning", "T039": "Physiologic Function",
    "T041": "Mental Process", "T042": "Organ or Tissue Function", "T043": "Cell Function",
    "T044": "Molecular Function", "T045": "Genetic Function", "T046": "Pathologic Function",
    "T047": "Disease or Syndrome", "T048": "Mental or Behavioral Dysfunction",
    "T053": "Behavior", "T056": "Daily or Recreational Activity", "T058": "Health Care Activity",
    "T059": "Laboratory Procedure", "T060": "Diagnostic Procedure",
    "T061": "Therapeutic or Preventive Procedure", "T065": "Educational Activity",
    "T067": "Phenomenon or Process", "T070": "Natural Phenomenon or Process",
    "T073": "Manufactured Object", "T074": "Medical Device", "T080": "Qualitative Concept",
    "T081": "Quantitative Concept", "T083": "Geographic Area", "T090": "Occupation or Discipline",
    "T091": "Biomedical Occupation or Discipline", "T093": "Health Care Related Organization",
    "T098": "Population Group", "T109": "Organic Chemical",
    "T114": "Nucleic Acid, Nucleoside, or Nucleotide",
    "T116": "Amino Acid, Peptide, or Protein", "T121": "Pharmacologic Substance",
    "T122": "Biomedical or Dental Material", "T123": "Biologically Active Substance",
    "T125": "Hormone", "T126": "Enzyme", "T131": "Hazardous or Poisonous Substance",
    "T167": "Substance", "T168": "Food", "T170": "Intellectual Product",
    "T184": "Sign or Symptom", "T191": "Neoplastic Process", "T194": "Archaeon",
    "T197": "Inorganic Chemical", "T204": "Eukaryote",
}  # fmt: skip


def approximate_semantic_type(tree_number: str) -> str | None:
    """The TUI of the most specific listed branch containing ``tree_number`` (APPROXIMATION)."""
    key = tree_number
    while True:
        tui = MESH_BRANCH_SEMANTIC_TYPES.get(key)
        if tui is not None:
            return tui
        if "." in key:
            key = key.rsplit(".", 1)[0]
        elif len(key) > 1:
            key = key[0]
        else:
            return None
