using System.Text.Json;

namespace IntegrationHub.Hosting.Http;

/// <summary>Reading a department's JSON fields one by one, every problem named by its field so that all are answered at once.</summary>
public static class JsonFields
{
    /// <summary>
    /// The string field <paramref name="name"/> of <paramref name="element"/>: 1 to <paramref name="max"/> characters, no
    /// control characters (line breaks and tabs allowed with <paramref name="lineBreaks"/>, for message texts). Missing is
    /// a problem only when <paramref name="required"/>; numbers are refused too (amounts and codes travel as text).
    /// </summary>
    public static string? Text(JsonElement element, string name, IDictionary<string, string[]> errors, bool required = false, int max = 200, string prefix = "",
        bool lineBreaks = false)
    {
        var field = prefix + name;
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required) errors[field] = [$"{field} is required."];
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            errors[field] = [value.ValueKind == JsonValueKind.Number
                ? $"{field} must be a string: write numbers and amounts as text, e.g. \"1500.00\"."
                : $"{field} must be a string."];
            return null;
        }
        var text = value.GetString()!;
        if (text.Length == 0 || text.Length > max || text.Any(c => char.IsControl(c) && !(lineBreaks && c is '\n' or '\r' or '\t')))
        {
            errors[field] = [$"{field} is 1 to {max} characters without control characters{(lineBreaks ? " (line breaks allowed)" : "")}."];
            return null;
        }
        return text;
    }
}
