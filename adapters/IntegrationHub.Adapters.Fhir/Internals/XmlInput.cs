using System.Text;
using System.Xml;
using Hl7.Fhir.Model;
using static Hl7.Fhir.Model.OperationOutcome;

namespace IntegrationHub.Adapters.Fhir.Internals;

/// <summary>
/// The only way the adapter reads XML: no DTD (so no entity expansion and no external entity, XXE), no resolver, and a
/// first pass for what XmlReader does not limit itself (depth, length of one text or attribute).
/// </summary>
static class XmlInput
{
    public static XmlReaderSettings Settings { get; } = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = false,
        IgnoreProcessingInstructions = true,
        CloseInput = false,
    };

    public static XmlReader Open(Stream xml) => XmlReader.Create(xml, Settings);

    public static IssueComponent? Check(Stream xml, FhirLimits limits)
    {
        using var reader = Open(xml);
        var path = new List<string>();
        try
        {
            while (reader.Read())
            {
                switch (reader.NodeType)
                {
                    case XmlNodeType.Element:
                        while (path.Count > reader.Depth)
                            path.RemoveAt(path.Count - 1);
                        path.Add(reader.LocalName);
                        if (reader.Depth >= limits.MaxDepth)
                            return Issues.Error(IssueType.TooCostly, $"The body nests deeper than the limit of {limits.MaxDepth} levels", string.Join('.', path), At(reader));
                        for (var more = reader.MoveToFirstAttribute(); more; more = reader.MoveToNextAttribute())
                            if (reader.Value.Length > limits.MaxStringLength)
                                return TooLong(reader, path, limits);
                        reader.MoveToElement();
                        if (reader.IsEmptyElement)
                            path.RemoveAt(path.Count - 1);
                        break;
                    case XmlNodeType.EndElement:
                        path.RemoveAt(path.Count - 1);
                        break;
                    case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace:
                        if (reader.Value.Length > limits.MaxStringLength)
                            return TooLong(reader, path, limits);
                        break;
                }
            }
        }
        catch (XmlException e)
        {
            var problem = e.Message.Contains("DTD", StringComparison.Ordinal)
                ? "DTDs and entity declarations are refused"
                : "The body is not well-formed XML";
            return Issues.Error(IssueType.Structure, $"{problem}: {e.Message}", string.Join('.', path), new Position(e.LineNumber, e.LinePosition));
        }
        return null;
    }

    static IssueComponent TooLong(XmlReader reader, List<string> path, FhirLimits limits) =>
        Issues.Error(IssueType.TooCostly, $"A value is longer than the limit of {limits.MaxStringLength} characters", string.Join('.', path), At(reader));

    static Position? At(XmlReader reader) =>
        reader is IXmlLineInfo info && info.HasLineInfo() ? new Position(info.LineNumber, info.LinePosition) : null;

    /// <summary>A reader's text with a BOM-less UTF-8 default, as FHIR requires.</summary>
    public static Encoding Encoding { get; } = new UTF8Encoding(false, true);
}
