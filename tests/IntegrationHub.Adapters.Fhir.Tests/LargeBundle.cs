using System.Text;

namespace IntegrationHub.Adapters.Fhir.Tests;

/// <summary>A realistic collection Bundle of patients and their observations, as large as asked.</summary>
static class LargeBundle
{
    public static byte[] Json(int atLeastBytes)
    {
        var text = new StringBuilder(atLeastBytes + 4096);
        text.Append("""{"resourceType":"Bundle","id":"large","type":"collection","entry":[""");
        for (var i = 0; text.Length < atLeastBytes; i++)
        {
            if (i > 0)
                text.Append(',');
            text.Append($$$$"""
                {"fullUrl":"urn:uuid:00000000-0000-4000-8000-{{{{i:D12}}}}","resource":{"resourceType":"Patient","id":"p{{{{i}}}}",
                "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Patient {{{{i}}}}, born 1970-01-01, Pune</p></div>"},
                "identifier":[{"system":"https://healthid.ndhm.gov.in","value":"91-{{{{i:D4}}}}-{{{{i % 10000:D4}}}}-0001"}],
                "name":[{"use":"official","family":"Rao","given":["Asha","K"]}],"gender":"female","birthDate":"1970-01-01",
                "telecom":[{"system":"phone","value":"+91-98-{{{{i:D8}}}}","use":"mobile"}],
                "address":[{"line":["12 MG Road"],"city":"Pune","state":"MH","postalCode":"411001","country":"IN"}]}},
                {"fullUrl":"urn:uuid:10000000-0000-4000-8000-{{{{i:D12}}}}","resource":{"resourceType":"Observation","id":"o{{{{i}}}}","status":"final",
                "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
                "code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body weight"}]},
                "subject":{"reference":"urn:uuid:00000000-0000-4000-8000-{{{{i:D12}}}}"},"effectiveDateTime":"2024-03-01T10:15:00+05:30",
                "valueQuantity":{"value":{{{{60 + i % 40}}}}.{{{{i % 10}}}}0,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}}
                """);
        }
        text.Append("]}");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static int EntriesIn(byte[] json) => Encoding.UTF8.GetString(json).Split("\"fullUrl\"").Length - 1;
}
