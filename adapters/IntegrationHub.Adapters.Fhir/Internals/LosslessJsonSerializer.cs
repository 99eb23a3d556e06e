using System.Text.Json;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace IntegrationHub.Adapters.Fhir.Internals;

/// <summary>
/// The SDK's JSON serializer, except for a FHIR decimal that .NET's decimal cannot hold (<c>-1.0E+245</c>, valid FHIR):
/// the parser keeps its text, and the SDK would write that text as a JSON string; here it stays a JSON number.
/// </summary>
sealed partial class LosslessJsonSerializer() : BaseFhirJsonSerializer(ModelInfo.ModelInspector)
{
    protected override void SerializePrimitiveValue(PrimitiveType value, Utf8JsonWriter writer)
    {
        if (value is FhirDecimal { JsonValue: string text } && FhirDecimalLiteral().IsMatch(text))
            writer.WriteRawValue(text, skipInputValidation: true);
        else
            base.SerializePrimitiveValue(value, writer);
    }

    public static bool IsDecimalLiteral(string text) => FhirDecimalLiteral().IsMatch(text);

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")]
    private static partial Regex FhirDecimalLiteral();
}
