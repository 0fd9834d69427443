"""Controlled vocabularies of the common schema (HTCDS v2, CTDC codebook, UK NRM breakdowns).

Every coded vocabulary carries the three markers ``unknown``, ``not_asked`` and
``not_applicable``: CTDC's single ``-99`` loses the difference between "we asked and nobody
knew", "we never asked" and "the question does not apply", and the pooled figures need it.
"""

from enum import StrEnum
from typing import Final

MARKERS: Final = ("unknown", "not_asked", "not_applicable")


class SourceChannel(StrEnum):
    helpline = "helpline"
    outreach = "outreach"
    police_operation = "police_operation"
    health_attendance = "health_attendance"
    la_safeguarding = "la_safeguarding"
    nrm_referral = "nrm_referral"
    dtn_report = "dtn_report"
    business_audit = "business_audit"
    self_referral = "self_referral"
    other = "other"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class ExploitationType(StrEnum):
    labour = "labour"
    sexual = "sexual"
    criminal = "criminal"
    domestic_servitude = "domestic_servitude"
    organ_harvesting = "organ_harvesting"
    forced_marriage = "forced_marriage"
    forced_begging = "forced_begging"
    child_labour = "child_labour"
    other = "other"
    not_specified = "not_specified"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class LabourSector(StrEnum):
    agriculture = "agriculture"
    aquafarming = "aquafarming"
    begging = "begging"
    car_wash = "car_wash"
    construction = "construction"
    domestic_work = "domestic_work"
    hospitality = "hospitality"
    illicit_activities = "illicit_activities"
    manufacturing = "manufacturing"
    mining_drilling = "mining_drilling"
    nail_beauty = "nail_beauty"
    peddling = "peddling"
    transportation = "transportation"
    care_sector = "care_sector"
    warehousing = "warehousing"
    other = "other"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class PremisesType(StrEnum):
    hand_car_wash = "hand_car_wash"
    nail_bar = "nail_bar"
    hot_food_takeaway = "hot_food_takeaway"
    convenience_store = "convenience_store"
    restaurant = "restaurant"
    brothel_residential = "brothel_residential"
    agricultural_site = "agricultural_site"
    construction_site = "construction_site"
    factory_warehouse = "factory_warehouse"
    care_home = "care_home"
    private_household = "private_household"
    street = "street"
    online_only = "online_only"
    other = "other"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class ControlMethod(StrEnum):
    """HTCDS ``vic_MethodsOfControl`` united with CTDC ``meansOfControl*``."""

    debt_bondage = "debt_bondage"
    takes_earnings = "takes_earnings"
    restricts_financial_access = "restricts_financial_access"
    threats = "threats"
    threats_law_enforcement = "threats_law_enforcement"
    threatens_children_family = "threatens_children_family"
    psychological_abuse = "psychological_abuse"
    physical_abuse = "physical_abuse"
    sexual_abuse = "sexual_abuse"
    false_promises = "false_promises"
    psychoactive_substances = "psychoactive_substances"
    restricts_movement = "restricts_movement"
    restricts_medical_care = "restricts_medical_care"
    excessive_working_hours = "excessive_working_hours"
    uses_children = "uses_children"
    withholds_necessities = "withholds_necessities"
    withholds_documents = "withholds_documents"
    other = "other"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class RecruitmentMethod(StrEnum):
    """HTCDS ``vic_MethodOfRecruitment``."""

    place_of_business = "place_of_business"
    educational_institution = "educational_institution"
    at_work = "at_work"
    online_social_network = "online_social_network"
    online_advertisement = "online_advertisement"
    television_advert = "television_advert"
    newspaper_advert = "newspaper_advert"
    family = "family"
    friends_social = "friends_social"
    other = "other"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class ExploitationScope(StrEnum):
    uk_only = "uk_only"
    overseas_only = "overseas_only"
    uk_and_overseas = "uk_and_overseas"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class Role(StrEnum):
    potential_victim = "potential_victim"
    suspect = "suspect"
    other = "other"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class Gender(StrEnum):
    female = "female"
    male = "male"
    transgender_female = "transgender_female"
    transgender_male = "transgender_male"
    non_conforming = "non_conforming"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class AgeBand(StrEnum):
    """CTDC ``ageBroad`` bands, at the time of exploitation."""

    a0_8 = "0-8"
    a9_17 = "9-17"
    a18_20 = "18-20"
    a21_23 = "21-23"
    a24_26 = "24-26"
    a27_29 = "27-29"
    a30_38 = "30-38"
    a39_47 = "39-47"
    a48_plus = "48+"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class AgeGroup(StrEnum):
    adult = "adult"
    child = "child"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class Relationship(StrEnum):
    """Relationship of a potential victim to the exploiter (HTCDS ∪ CTDC ``recruiterRelation*``)."""

    intimate_partner = "intimate_partner"
    family = "family"
    friend = "friend"
    acquaintance = "acquaintance"
    employer = "employer"
    stranger = "stranger"
    other = "other"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class SelectorKind(StrEnum):
    phone = "phone"
    email = "email"
    vehicle = "vehicle"
    address = "address"
    bank_account = "bank_account"
    business = "business"  # a business or labour provider's name (the employer, agency, gangmaster)
    social_handle = "social_handle"  # a social-media or messaging handle


class ReferralType(StrEnum):
    nrm = "nrm"
    duty_to_notify = "duty_to_notify"
    la_safeguarding = "la_safeguarding"
    marac_mash = "marac_mash"
    other_ngo = "other_ngo"
    other = "other"
    none = "none"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class FirstResponderType(StrEnum):
    police = "police"
    local_authority = "local_authority"
    home_office = "home_office"
    ngo = "ngo"
    health = "health"
    other = "other"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class GroundsDecision(StrEnum):
    positive = "positive"
    negative = "negative"
    pending = "pending"
    withdrawn = "withdrawn"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class PoliceOutcome(StrEnum):
    crime_recorded = "crime_recorded"
    arrest = "arrest"
    charge = "charge"
    conviction = "conviction"
    no_further_action = "no_further_action"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class SupportType(StrEnum):
    """HTCDS ``spl_Type``."""

    accommodation = "accommodation"
    education = "education"
    financial = "financial"
    health = "health"
    labour_exploitation_rehabilitation = "labour_exploitation_rehabilitation"
    legal = "legal"
    livelihood = "livelihood"
    rights_based_training = "rights_based_training"
    sexual_exploitation_rehabilitation = "sexual_exploitation_rehabilitation"
    social_care = "social_care"
    none = "none"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class PartnerType(StrEnum):
    """HTCDS ``org_Type``."""

    NGO = "NGO"
    LawEnforcement = "LawEnforcement"
    HealthServiceOrganisation = "HealthServiceOrganisation"
    LocalGovernmentOrganisation = "LocalGovernmentOrganisation"
    CentralGovernmentOrganisation = "CentralGovernmentOrganisation"
    ImmigrationService = "ImmigrationService"
    LegalService = "LegalService"
    CorporateBusiness = "CorporateBusiness"
    SchoolOrCollege = "SchoolOrCollege"


VOCABULARIES: Final[dict[str, type[StrEnum]]] = {
    "source_channel": SourceChannel,
    "exploitation_types": ExploitationType,
    "labour_sectors": LabourSector,
    "premises_type": PremisesType,
    "methods_of_control": ControlMethod,
    "recruitment_methods": RecruitmentMethod,
    "exploitation_scope": ExploitationScope,
    "role": Role,
    "gender": Gender,
    "age_band": AgeBand,
    "age_group": AgeGroup,
    "relationship": Relationship,
    "selector_kind": SelectorKind,
    "referral_type": ReferralType,
    "first_responder_type": FirstResponderType,
    "reasonable_grounds": GroundsDecision,
    "conclusive_grounds": GroundsDecision,
    "police_outcome": PoliceOutcome,
    "support_provided": SupportType,
}
"""Schema field name → its vocabulary; the mapping profiles and docs read this."""
