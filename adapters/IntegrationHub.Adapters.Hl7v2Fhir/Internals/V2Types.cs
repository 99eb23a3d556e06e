using System.Globalization;
using Hl7.Fhir.Model;
using IntegrationHub.Adapters.Hl7v2;

namespace IntegrationHub.Adapters.Hl7v2Fhir.Internals;

/// <summary>The IG's data-type maps (CX, XPN, XAD, XTN, CWE/CE, XCN, PL, EI, CQ): one v2 repetition → one FHIR type.</summary>
internal static class V2Types
{
    public const string V2CodeSystemPrefix = "http://terminology.hl7.org/CodeSystem/v2-";
    public const string UnknownCodeSystemPrefix = "urn:hl7v2:coding-system:";
    public const string UnknownAuthorityPrefix = "urn:hl7v2:authority:";

    static string C(Hl7Element repetition, int component) => repetition.Component(component).Value;
    static string S(Hl7Element repetition, int component, int sub) => repetition.Component(component).Child(sub).Value;

    /// <summary>Each non-empty repetition of <paramref name="field"/>, with its 1-based index (for issue locations).</summary>
    public static IEnumerable<(Hl7Element Repetition, int Index)> Repetitions(Hl7Element field)
    {
        var i = 0;
        foreach (var repetition in field.Children())
        {
            i++;
            if (!repetition.IsEmpty && !repetition.IsNull) yield return (repetition, i);
        }
    }

    /// <summary>CX → Identifier: CX-1 value, CX-4 authority (system, assigner), CX-5 type (v2-0203), CX-7/8 period.</summary>
    public static Identifier? Identifier(Hl7Element cx, MapContext context, string location)
    {
        var value = C(cx, 1);
        if (value.Length == 0) return null;
        var identifier = new Identifier { Value = value };
        var authority = S(cx, 4, 1);
        var system = AuthoritySystem(authority, S(cx, 4, 2), S(cx, 4, 3), context);
        if (system is not null) identifier.System = system;
        if (authority.Length > 0) identifier.Assigner = new ResourceReference { Display = authority };
        var type = C(cx, 5);
        if (type.Length > 0)
            identifier.Type = new CodeableConcept(V2CodeSystemPrefix + "0203", type);
        var start = V2Time.DateTime(C(cx, 7), context, location + ".7");
        var end = V2Time.DateTime(C(cx, 8), context, location + ".8");
        if (start is not null || end is not null) identifier.Period = new Period { Start = start, End = end };
        if (C(cx, 2).Length > 0 || C(cx, 3).Length > 0) context.Warn(location, "the check digit (CX-2, CX-3) is not kept");
        return identifier;
    }

    /// <summary>EI → Identifier (EI-1 value, EI-2..4 the authority).</summary>
    public static Identifier? EntityIdentifier(Hl7Element ei, MapContext context)
    {
        var value = C(ei, 1);
        if (value.Length == 0) return null;
        var identifier = new Identifier { Value = value };
        var authority = C(ei, 2);
        if (AuthoritySystem(authority, C(ei, 3), C(ei, 4), context) is { } system) identifier.System = system;
        if (authority.Length > 0) identifier.Assigner = new ResourceReference { Display = authority };
        return identifier;
    }

    static string? AuthoritySystem(string name, string universalId, string universalIdType, MapContext context)
    {
        if (name.Length > 0 && context.Options.IdentifierSystems.TryGetValue(name, out var configured)) return configured;
        if (universalId.Length > 0 && universalIdType.Equals("ISO", StringComparison.OrdinalIgnoreCase)) return "urn:oid:" + universalId;
        if (universalId.Length > 0 && universalIdType.Equals("URI", StringComparison.OrdinalIgnoreCase)) return universalId;
        return name.Length > 0 ? UnknownAuthorityPrefix + Uri.EscapeDataString(name) : null;
    }

    /// <summary>XPN → HumanName: 1 family, 2 and 3 given, 4 suffix, 5 prefix, 6 degree (suffix), 7 name type (use).</summary>
    public static HumanName? Name(Hl7Element xpn, MapContext context, string location)
    {
        var name = new HumanName();
        if (S(xpn, 1, 1) is { Length: > 0 } family) name.Family = family;
        var given = new[] { C(xpn, 2), C(xpn, 3) }.Where(g => g.Length > 0).ToList();
        if (given.Count > 0) name.Given = given;
        var suffixes = new[] { C(xpn, 4), C(xpn, 6) }.Where(s => s.Length > 0).ToList();
        if (suffixes.Count > 0) name.Suffix = suffixes;
        if (C(xpn, 5) is { Length: > 0 } prefix) name.Prefix = [prefix];
        if (C(xpn, 7) is { Length: > 0 } type)
        {
            if (Vocabulary.NameUse(type) is { } use) name.Use = use;
            else context.Warn(location + ".7", "name type has no FHIR name use: not kept");
        }
        return name.Family is null && !name.Given.Any() ? null : name;
    }

    /// <summary>XAD → Address: 1.1 street, 2 other line, 3 city, 4 state, 5 postal code, 6 country, 7 type (use/type).</summary>
    public static Address? Address(Hl7Element xad, MapContext context, string location)
    {
        var address = new Address();
        var lines = new[] { S(xad, 1, 1), C(xad, 2) }.Where(l => l.Length > 0).ToList();
        if (lines.Count > 0) address.Line = lines;
        if (C(xad, 3) is { Length: > 0 } city) address.City = city;
        if (C(xad, 4) is { Length: > 0 } state) address.State = state;
        if (C(xad, 5) is { Length: > 0 } postal) address.PostalCode = postal;
        if (C(xad, 6) is { Length: > 0 } country) address.Country = country;
        if (C(xad, 9) is { Length: > 0 } district) address.District = district;
        if (C(xad, 7) is { Length: > 0 } type)
        {
            var (use, kind) = Vocabulary.AddressType(type);
            if (use is null && kind is null) context.Warn(location + ".7", "address type has no FHIR use: not kept");
            address.Use = use;
            address.Type = kind;
        }
        return lines.Count == 0 && address.City is null && address.PostalCode is null && address.State is null && address.Country is null
            ? null : address;
    }

    /// <summary>
    /// XTN → ContactPoint: XTN-4 email, else XTN-12 unformatted, else [+XTN-5] XTN-6 XTN-7 [ext XTN-8], else XTN-1;
    /// XTN-2 use, XTN-3 system.
    /// </summary>
    public static ContactPoint? Telecom(Hl7Element xtn, MapContext context, string location)
    {
        var equipment = C(xtn, 3);
        var email = C(xtn, 4);
        string value;
        if (email.Length > 0 || equipment is "Internet" or "X.400") value = email.Length > 0 ? email : C(xtn, 1);
        else if (C(xtn, 12) is { Length: > 0 } unformatted) value = unformatted;
        else if (C(xtn, 7) is { Length: > 0 } local)
        {
            var country = C(xtn, 5);
            var area = C(xtn, 6);
            value = string.Join(" ", new[] { country.Length > 0 ? "+" + country : "", area, local }.Where(p => p.Length > 0));
            if (C(xtn, 8) is { Length: > 0 } extension) value += " ext. " + extension;
        }
        else value = C(xtn, 1);
        if (value.Length == 0) return null;
        var point = new ContactPoint { Value = value, System = Vocabulary.TelecomSystem(equipment, email.Length > 0) };
        if (equipment.Equals("CP", StringComparison.OrdinalIgnoreCase)) point.Use = ContactPoint.ContactPointUse.Mobile;
        if (C(xtn, 2) is { Length: > 0 } use)
        {
            if (Vocabulary.TelecomUse(use) is { } u) point.Use ??= u;
            else context.Warn(location + ".2", "telecom use has no FHIR use: not kept");
        }
        return point;
    }

    /// <summary>CWE / CE → CodeableConcept: the primary (1–3) and alternate (4–6) codings; CWE-9 or the first display as text.</summary>
    public static CodeableConcept? Concept(Hl7Element cwe, MapContext context, string? defaultSystem = null)
    {
        var concept = new CodeableConcept();
        if (Coding(C(cwe, 1), C(cwe, 2), C(cwe, 3), context, defaultSystem) is { } primary) concept.Coding.Add(primary);
        if (Coding(C(cwe, 4), C(cwe, 5), C(cwe, 6), context, null) is { } alternate) concept.Coding.Add(alternate);
        if (C(cwe, 9) is { Length: > 0 } original) concept.Text = original;
        else if (concept.Coding.Count == 0 && C(cwe, 2) is { Length: > 0 } text) concept.Text = text;
        return concept.Coding.Count == 0 && concept.Text is null ? null : concept;
    }

    static Coding? Coding(string code, string display, string systemName, MapContext context, string? defaultSystem)
    {
        if (code.Length == 0) return null;
        var coding = new Coding { Code = code };
        if (display.Length > 0) coding.Display = display;
        coding.System = systemName.Length > 0 ? CodeSystem(systemName, context) : defaultSystem;
        return coding;
    }

    /// <summary>A v2 coding-system name (table 0396) as a FHIR system URI.</summary>
    public static string CodeSystem(string name, MapContext context)
    {
        if (context.Options.CodeSystems.TryGetValue(name, out var configured)) return configured;
        if (Vocabulary.KnownCodeSystem(name) is { } known) return known;
        if (name.StartsWith("HL7", StringComparison.OrdinalIgnoreCase) && name.Length == 7 && name[3..].All(char.IsAsciiDigit))
            return V2CodeSystemPrefix + name[3..];
        return UnknownCodeSystemPrefix + Uri.EscapeDataString(name);
    }

    /// <summary>The v2 name of a FHIR system URI (the way back); null when there is none to give.</summary>
    public static string? CodeSystemName(string? system, Hl7v2FhirOptions options)
    {
        if (system is null) return null;
        foreach (var (name, uri) in options.CodeSystems)
            if (uri == system) return name;
        if (Vocabulary.KnownCodeSystemName(system) is { } known) return known;
        if (system.StartsWith(V2CodeSystemPrefix, StringComparison.Ordinal)) return "HL7" + system[V2CodeSystemPrefix.Length..];
        if (system.StartsWith(UnknownCodeSystemPrefix, StringComparison.Ordinal)) return Uri.UnescapeDataString(system[UnknownCodeSystemPrefix.Length..]);
        return null;
    }

    /// <summary>A simple code of a v2 table (ID/IS) as a CodeableConcept of that table's system.</summary>
    public static CodeableConcept? TableCode(string code, string table) =>
        code.Length == 0 ? null : new CodeableConcept(V2CodeSystemPrefix + table, code);

    /// <summary>XCN → a Practitioner in the Bundle (XCN-1 identifier, 2–6 name), referenced by the caller.</summary>
    public static Practitioner? Practitioner(Hl7Element xcn, MapContext context, string location)
    {
        var id = C(xcn, 1);
        var family = S(xcn, 2, 1);
        if (id.Length == 0 && family.Length == 0) return null;
        var practitioner = new Practitioner();
        var authority = S(xcn, 9, 1);
        if (id.Length > 0)
        {
            var identifier = new Identifier { Value = id };
            if (AuthoritySystem(authority, S(xcn, 9, 2), S(xcn, 9, 3), context) is { } system) identifier.System = system;
            if (authority.Length > 0) identifier.Assigner = new ResourceReference { Display = authority };
            practitioner.Identifier.Add(identifier);
        }
        var name = new HumanName();
        if (family.Length > 0) name.Family = family;
        var given = new[] { C(xcn, 3), C(xcn, 4) }.Where(g => g.Length > 0).ToList();
        if (given.Count > 0) name.Given = given;
        if (C(xcn, 6) is { Length: > 0 } prefix) name.Prefix = [prefix];
        if (C(xcn, 5) is { Length: > 0 } suffix) name.Suffix = [suffix];
        if (name.Family is not null || name.Given.Any()) practitioner.Name.Add(name);
        var key = id.Length > 0 ? id : family + "^" + C(xcn, 3);
        return context.Add(practitioner, StableIds.For("Practitioner", authority.Length > 0 ? authority : context.SenderScope, key));
    }

    /// <summary>PL → a Location in the Bundle: point of care ^ room ^ bed ^ facility, named as the sender wrote it.</summary>
    public static Location? Location(Hl7Element pl, MapContext context)
    {
        var parts = new[] { C(pl, 1), C(pl, 2), C(pl, 3) };
        if (parts.All(p => p.Length == 0)) return null;
        var facility = S(pl, 4, 1);
        var location = new Location
        {
            Name = string.Join(" ", parts.Where(p => p.Length > 0)),
            Mode = Hl7.Fhir.Model.Location.LocationMode.Instance,
        };
        var identifier = new Identifier { Value = string.Join("^", parts).TrimEnd('^') };
        if (facility.Length > 0) identifier.Assigner = new ResourceReference { Display = facility };
        location.Identifier.Add(identifier);
        if (C(pl, 9) is { Length: > 0 } description) location.Description = description;
        return context.Add(location, StableIds.For("Location", facility.Length > 0 ? facility : context.SenderScope, identifier.Value));
    }

    /// <summary>CQ / NM with units → Quantity (units as UCUM when the sender says so).</summary>
    public static Quantity? Quantity(string number, Hl7Element units, MapContext context, string location)
    {
        if (number.Length == 0) return null;
        if (!decimal.TryParse(number, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            context.Warn(location, "not a number: the quantity is dropped");
            return null;
        }
        var quantity = new Quantity { Value = value };
        // The IG's CWE[Quantity]: a code (and system) only when the units name their system, else the unit's text.
        var code = C(units, 1);
        if (code.Length > 0)
        {
            var systemName = C(units, 3);
            quantity.Unit = C(units, 2) is { Length: > 0 } text ? text : code;
            if (systemName.Length > 0)
            {
                quantity.Code = code;
                quantity.System = CodeSystem(systemName, context);
            }
        }
        return quantity;
    }
}
