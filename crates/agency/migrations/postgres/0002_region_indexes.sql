-- The "not yet certified in a region" list (`not_certified_in_region`) reads only
-- indexes until it has its page: the region's active people in person-key order
-- (the page order, so a page stops after LIMIT rows), and per person and period the
-- outcomes with the record id that joins the server's match.
DROP INDEX people_by_region;
CREATE INDEX people_by_region ON people (region, status, person_key);
DROP INDEX certifications_by_person;
CREATE INDEX certifications_by_person ON certifications (person_key, period, outcome) INCLUDE (record_id);
