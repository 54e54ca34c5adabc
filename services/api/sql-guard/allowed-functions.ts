/**
 * The functions analyst SQL may call: an allow-list, frozen from ClickHouse 26.7's own
 * catalogue (system.functions) by category, then reviewed. A function that is not named here
 * is refused, whatever it does: a newer ClickHouse adds functions, and none of them is open
 * until someone reads it and adds it here.
 *
 * What is in: computation over the values a query already has (arithmetic, comparison, logic,
 * strings, dates, arrays, maps, tuples, JSON text, URLs as text, IP addresses, hashes,
 * encodings, geo maths, random numbers, aggregates and window functions, type conversion).
 * What is out, by leaving it off: every function that reaches outside the query's values:
 * files (file), other tables or dictionaries by name (joinGet, dictGet…, hasColumnInTable),
 * settings and server facts (getSetting, getServerSetting, getMacro, hostName, version,
 * uptime, filesystem…, currentUser…), introspection (addressToLine, demangle…), models and
 * AI services (catboostEvaluate, ai…), a query runner (chdb), sleep, encryption keys, and
 * ClickHouse's internal helpers. Table functions have their own, shorter list (sql-policy.ts).
 */

function words(text: string): readonly string[] {
  return text.split(/\s+/).filter(Boolean);
}

/** Allowed functions by ClickHouse's category, canonical names. */
export const FUNCTIONS_BY_CATEGORY: Readonly<Record<string, readonly string[]>> = {
  "Aggregate Functions": words(`
  analysisOfVariance any anyHeavy anyLast anyLast_respect_nulls any_respect_nulls approx_top_k
  approx_top_sum argAndMax argAndMin argMax argMin avg avgWeighted boundingRatio
  categoricalInformationValue contingency corr corrMatrix corrStable count covarPop covarPopMatrix
  covarPopStable covarSamp covarSampMatrix covarSampStable cramersV cramersVBiasCorrected
  cume_dist deltaSum deltaSumTimestamp denseRank distinctDynamicTypes distinctJSONPaths
  distinctJSONPathsAndTypes entropy estimateCompressionRatio exponentialMovingAverage
  exponentialTimeDecayedAvg exponentialTimeDecayedCount exponentialTimeDecayedMax
  exponentialTimeDecayedSum flameGraph groupArray groupArrayInsertAt groupArrayIntersect
  groupArrayLast groupArrayMovingAvg groupArrayMovingSum groupArraySample groupArraySorted
  groupBitAnd groupBitOr groupBitXor groupBitmap groupBitmapAnd groupBitmapOr groupBitmapXor
  groupConcat groupFormat groupNumericIndexedVector groupUniqArray histogram intervalLengthSum
  kolmogorovSmirnovTest kurtPop kurtSamp lag lagInFrame largestTriangleThreeBuckets lead
  leadInFrame mannWhitneyUTest max maxIntersections maxIntersectionsPosition maxMappedArrays
  meanZTest min minMappedArrays nonNegativeDerivative nothing nothingNull nothingUInt64 nth_value
  ntile percentRank quantile quantileBFloat16 quantileBFloat16Weighted quantileDD
  quantileDeterministic quantileExact quantileExactExclusive quantileExactHigh
  quantileExactInclusive quantileExactLow quantileExactWeighted quantileExactWeightedInterpolated
  quantileGK quantileInterpolatedWeighted quantilePrometheusHistogram quantileTDigest
  quantileTDigestWeighted quantileTiming quantileTimingWeighted quantiles quantilesBFloat16
  quantilesBFloat16Weighted quantilesDD quantilesDeterministic quantilesExact
  quantilesExactExclusive quantilesExactHigh quantilesExactInclusive quantilesExactLow
  quantilesExactWeighted quantilesExactWeightedInterpolated quantilesGK
  quantilesInterpolatedWeighted quantilesPrometheusHistogram quantilesTDigest
  quantilesTDigestWeighted quantilesTiming quantilesTimingWeighted rank rankCorr retention
  row_number sequenceCount sequenceMatch sequenceMatchEvents sequenceNextNode
  simpleLinearRegression singleValueOrNull skewPop skewSamp sparkbar stddevPop stddevPopStable
  stddevSamp stddevSampStable studentTTest studentTTestOneSample sum sumCount sumKahan
  sumMapFiltered sumMapFilteredWithOverflow sumMapWithOverflow sumMappedArrays sumWithOverflow
  theilsU timeSeriesChangesToGrid timeSeriesDeltaToGrid timeSeriesDerivToGrid timeSeriesGroupArray
  timeSeriesIncreaseToGrid timeSeriesInstantDeltaToGrid timeSeriesInstantRateToGrid
  timeSeriesLastTwoSamples timeSeriesPredictLinearToGrid timeSeriesRateToGrid
  timeSeriesResampleToGridWithStaleness timeSeriesResetsToGrid topK topKWeighted uniq uniqCombined
  uniqCombined64 uniqExact uniqHLL12 uniqUpTo varPop varPopStable varSamp varSampStable welchTTest
  windowFunnel
  `),
  "Arithmetic": words(`
  abs avg2 byteSwap divide divideDecimal divideOrNull gcd ifNotFinite intDiv intDivOrNull
  intDivOrZero isFinite isInfinite isNaN lcm max2 midpoint min2 minus modulo moduloLegacy
  moduloOrNull moduloOrZero multiply multiplyDecimal negate plus positiveModulo
  positiveModuloOrNull sqr
  `),
  "Arrays": words(`
  array arrayAUCPR arrayAll arrayAutocorrelation arrayAvg arrayBottomK arrayCompact arrayConcat
  arrayCount arrayCumSum arrayCumSumNonNegative arrayDifference arrayDistinct arrayDotProduct
  arrayElement arrayElementOrNull arrayEnumerate arrayEnumerateDense arrayEnumerateDenseRanked
  arrayEnumerateUniq arrayEnumerateUniqRanked arrayExcept arrayExists arrayFill arrayFilter
  arrayFirst arrayFirstIndex arrayFirstOrNull arrayFlatten arrayFold arrayIntersect
  arrayJaccardIndex arrayJoin arrayLast arrayLastIndex arrayLastOrNull arrayLevenshteinDistance
  arrayLevenshteinDistanceWeighted arrayMap arrayMax arrayMin arrayNormalizedGini
  arrayPartialReverseSort arrayPartialShuffle arrayPartialSort arrayPopBack arrayPopFront
  arrayProduct arrayPushBack arrayPushFront arrayROCAUC arrayRandomSample arrayReduce
  arrayReduceInRanges arrayRemove arrayResize arrayReverse arrayReverseFill arrayReverseSort
  arrayReverseSplit arrayRotateLeft arrayRotateRight arrayShiftLeft arrayShiftRight arrayShingles
  arrayShuffle arraySimilarity arraySlice arraySort arraySplit arraySum arraySymmetricDifference
  arrayTopK arrayTranspose arrayUnion arrayUniq arrayWithConstant arrayZip arrayZipUnaligned
  countEqual empty emptyArrayDate emptyArrayDateTime emptyArrayFloat32 emptyArrayFloat64
  emptyArrayInt16 emptyArrayInt32 emptyArrayInt64 emptyArrayInt8 emptyArrayString
  emptyArrayToSingle emptyArrayUInt16 emptyArrayUInt32 emptyArrayUInt64 emptyArrayUInt8 has hasAll
  hasAny hasSubstr indexOf indexOfAssumeSorted length notEmpty randomHadamardTransform range
  replicate reverse
  `),
  "Bit": words(`
  bitAnd bitCount bitHammingDistance bitNot bitOr bitRotateLeft bitRotateRight bitShiftLeft
  bitShiftRight bitSlice bitTest bitTestAll bitTestAny bitXor
  `),
  "Bitmap": words(`
  bitmapAnd bitmapAndCardinality bitmapAndnot bitmapAndnotCardinality bitmapBuild
  bitmapCardinality bitmapContains bitmapHasAll bitmapHasAny bitmapMax bitmapMin bitmapOr
  bitmapOrCardinality bitmapSubsetInRange bitmapSubsetLimit bitmapToArray bitmapTransform
  bitmapXor bitmapXorCardinality subBitmap
  `),
  // GLOBAL IN is for distributed tables, the *IgnoreSet forms are the analyzer's own
  "Comparison": words(`
  equals greater greaterOrEquals in isDistinctFrom isNotDistinctFrom less lessOrEquals
  notEquals notIn notNullIn nullIn
  `),
  "Conditional": words(`
  clamp greatest if least multiIf
  `),
  "Dates and Times": words(`
  UTCTimestamp YYYYMMDDToDate YYYYMMDDToDate32 YYYYMMDDhhmmssToDateTime YYYYMMDDhhmmssToDateTime64
  addDate addDays addHours addInterval addMicroseconds addMilliseconds addMinutes addMonths
  addNanoseconds addQuarters addSeconds addTupleOfIntervals addWeeks addYears age changeDay
  changeHour changeMinute changeMonth changeSecond changeYear dateDiff dateName dateTrunc
  formatDateTime formatDateTimeInJodaSyntax fromDaysSinceYearZero fromDaysSinceYearZero32
  fromModifiedJulianDay fromModifiedJulianDayOrNull fromUTCTimestamp fromUnixTimestamp
  fromUnixTimestampInJodaSyntax localtime makeDate makeDate32 makeDateTime makeDateTime64
  monthName now now64 nowInBlock nowInBlock64 serverTimezone subDate subtractDays subtractHours
  subtractInterval subtractMicroseconds subtractMilliseconds subtractMinutes subtractMonths
  subtractNanoseconds subtractQuarters subtractSeconds subtractTupleOfIntervals subtractWeeks
  subtractYears timeDiff timeSlot timeSlots timestamp timezone timezoneOf timezoneOffset
  toDayOfMonth toDayOfWeek toDayOfYear toDaysInMonth toDaysSinceYearZero toHour toISOWeek
  toISOYear toLastDayOfMonth toLastDayOfWeek toMicrosecond toMillisecond toMinute
  toModifiedJulianDay toModifiedJulianDayOrNull toMonday toMonth toMonthNumSinceEpoch toNanosecond
  toQuarter toRelativeDayNum toRelativeHourNum toRelativeMinuteNum toRelativeMonthNum
  toRelativeQuarterNum toRelativeSecondNum toRelativeWeekNum toRelativeYearNum toSecond
  toStartOfDay toStartOfFifteenMinutes toStartOfFiveMinutes toStartOfHour toStartOfISOYear
  toStartOfInterval toStartOfMicrosecond toStartOfMillisecond toStartOfMinute toStartOfMonth
  toStartOfNanosecond toStartOfQuarter toStartOfSecond toStartOfTenMinutes toStartOfWeek
  toStartOfYear toTimeWithFixedDate toTimezone toUTCTimestamp toUnixTimestamp toWeek toYYYYMM
  toYYYYMMDD toYYYYMMDDhhmmss toYear toYearNumSinceEpoch toYearWeek today yesterday
  `),
  "Distance": words(`
  L1Distance L1Norm L1Normalize L2Distance L2DistanceTransposed L2DistanceTransposedQuantized
  L2Norm L2Normalize L2SquaredDistance L2SquaredNorm LinfDistance LinfNorm LinfNormalize
  LpDistance LpNorm LpNormalize cosineDistance cosineDistanceTransposed
  cosineDistanceTransposedQuantized dotProductTransposed dotProductTransposedQuantized
  `),
  "Encoding": words(`
  bin bitPositionsToArray bitmaskToArray bitmaskToList char hex hilbertDecode hilbertEncode
  mortonDecode mortonEncode sqidDecode sqidEncode unbin unhex
  `),
  "Financial": words(`
  financialInternalRateOfReturn financialInternalRateOfReturnExtended financialNetPresentValue
  financialNetPresentValueExtended
  `),
  "Geo": words(`
  MGRSToGeo MVTBoundingBox MVTBoundingBoxMercator UTMToGeo areaCartesian areaSpherical geoDistance
  geoToH3 geoToMGRS geoToUTM geohashDecode geohashEncode geohashesInBox geometryIntersectCartesian
  geometryIntersectSpherical greatCircleAngle greatCircleDistance h3CellAreaM2 h3CellAreaRads2
  h3Distance h3EdgeAngle h3EdgeLengthKm h3EdgeLengthM h3ExactEdgeLengthKm h3ExactEdgeLengthM
  h3ExactEdgeLengthRads h3GetBaseCell h3GetDestinationIndexFromUnidirectionalEdge h3GetFaces
  h3GetIndexesFromUnidirectionalEdge h3GetOriginIndexFromUnidirectionalEdge h3GetPentagonIndexes
  h3GetRes0Indexes h3GetResolution h3GetUnidirectionalEdge h3GetUnidirectionalEdgeBoundary
  h3GetUnidirectionalEdgesFromHexagon h3HexAreaKm2 h3HexAreaM2 h3HexRing h3IndexesAreNeighbors
  h3IsPentagon h3IsResClassIII h3IsValid h3Line h3NumHexagons h3PointDistKm h3PointDistM
  h3PointDistRads h3PolygonToCells h3PolygonToCellsWithContainment h3ToCenterChild h3ToChildren
  h3ToGeo h3ToGeoBoundary h3ToParent h3ToString h3UnidirectionalEdgeIsValid h3kRing
  perimeterCartesian perimeterSpherical pointInEllipses pointInPolygon polygonsIntersectCartesian
  polygonsIntersectSpherical readWKB readWKT stringToH3 svg wkb wkt
  `),
  "Hash": words(`
  MD4 MD5 RIPEMD160 SHA1 SHA224 SHA256 SHA384 SHA512 SHA512_256 URLHash cityHash64
  farmFingerprint64 farmHash64 gccMurmurHash halfMD5 hiveHash icebergHash intHash32 intHash64
  javaHash javaHashUTF16LE jumpConsistentHash kafkaMurmurHash keccak256 kostikConsistentHash
  metroHash64 murmurHash2_32 murmurHash2_64 murmurHash3_128 murmurHash3_32 murmurHash3_64
  ngramMinHash ngramMinHashArg ngramMinHashArgCaseInsensitive ngramMinHashArgCaseInsensitiveUTF8
  ngramMinHashArgUTF8 ngramMinHashCaseInsensitive ngramMinHashCaseInsensitiveUTF8 ngramMinHashUTF8
  ngramSimHash ngramSimHashCaseInsensitive ngramSimHashCaseInsensitiveUTF8 ngramSimHashUTF8
  sipHash128 sipHash128Keyed sipHash128Reference sipHash128ReferenceKeyed sipHash64 sipHash64Keyed
  wordShingleMinHash wordShingleMinHashArg wordShingleMinHashArgCaseInsensitive
  wordShingleMinHashArgCaseInsensitiveUTF8 wordShingleMinHashArgUTF8
  wordShingleMinHashCaseInsensitive wordShingleMinHashCaseInsensitiveUTF8 wordShingleMinHashUTF8
  wordShingleSimHash wordShingleSimHashCaseInsensitive wordShingleSimHashCaseInsensitiveUTF8
  wordShingleSimHashUTF8 wyHash64 xxHash32 xxHash64 xxHash64Spark xxh3 xxh3_128
  `),
  "IP Address": words(`
  IPv4CIDRToRange IPv4NumToString IPv4NumToStringClassC IPv4StringToNum IPv4StringToNumOrDefault
  IPv4StringToNumOrNull IPv4ToIPv6 IPv6CIDRToRange IPv6NumToString IPv6StringToNum
  IPv6StringToNumOrDefault IPv6StringToNumOrNull cutIPv6 isIPAddressInRange isIPv4String
  isIPv6String toIPv4 toIPv4OrDefault toIPv4OrNull toIPv4OrZero toIPv6 toIPv6OrDefault
  toIPv6OrNull toIPv6OrZero
  `),
  "Internal": words(`
  _CAST caseWithExpression
  `),
  "JSON": words(`
  JSONAllPaths JSONAllPathsWithTypes JSONAllValues JSONArrayLength JSONDynamicPaths
  JSONDynamicPathsWithTypes JSONExtract JSONExtractArrayRaw JSONExtractArrayRawCaseInsensitive
  JSONExtractBool JSONExtractBoolCaseInsensitive JSONExtractCaseInsensitive JSONExtractFloat
  JSONExtractFloatCaseInsensitive JSONExtractInt JSONExtractIntCaseInsensitive JSONExtractKeys
  JSONExtractKeysAndValues JSONExtractKeysAndValuesCaseInsensitive JSONExtractKeysAndValuesRaw
  JSONExtractKeysAndValuesRawCaseInsensitive JSONExtractKeysCaseInsensitive JSONExtractRaw
  JSONExtractRawCaseInsensitive JSONExtractString JSONExtractStringCaseInsensitive JSONExtractUInt
  JSONExtractUIntCaseInsensitive JSONHas JSONKey JSONLength JSONMergePatch JSONSharedDataPaths
  JSONSharedDataPathsWithTypes JSONType JSON_EXISTS JSON_QUERY JSON_VALUE dynamicElement
  dynamicType isDynamicElementInSharedData isValidJSON prettyPrintJSON simpleJSONExtractBool
  simpleJSONExtractFloat simpleJSONExtractInt simpleJSONExtractRaw simpleJSONExtractString
  simpleJSONExtractUInt simpleJSONHas toJSONString
  `),
  "Logical": words(`
  and not or xor
  `),
  "Map": words(`
  extractKeyValuePairs extractKeyValuePairsWithEscaping map mapAdd mapAll mapApply mapConcat
  mapContainsKey mapContainsKeyLike mapContainsValue mapContainsValueLike mapExists
  mapExtractKeyLike mapExtractValueLike mapFilter mapFromArrays mapKeys mapPartialReverseSort
  mapPartialSort mapPopulateSeries mapReverseSort mapSort mapSubtract mapUpdate mapValues
  `),
  "Mathematical": words(`
  acos acosh asin asinh atan atan2 atanh cbrt cos cosh degrees e erf erfc exp exp10 exp2 factorial
  hypot intExp10 intExp2 isPrime isProbablePrime lgamma log log10 log1p log2 pi pow
  proportionsZTest radians sigmoid sign sin sinh sqrt tan tanh tgamma widthBucket
  `),
  "Null": words(`
  assumeNotNull coalesce firstNonDefault ifNull isNotNull isNull isNullable isZeroOrNull nullIf
  toNullable
  `),
  "Other": words(`
  MACNumToString MACStringToNum MACStringToOUI bar byteSize countDigits currentDatabase
  defaultValueOfArgumentType defaultValueOfTypeName errorCodeToName finalizeAggregation
  formatQuery formatQueryOrNull formatQuerySingleLine formatQuerySingleLineOrNull
  formatReadableDecimalSize formatReadableQuantity formatReadableSize formatReadableTimeDelta
  getSubcolumn identity ignore initializeAggregation isConstant materialize
  minSampleSizeContinuous minSampleSizeConversion neighbor normalizeQuery normalizeQueryKeepNames
  normalizedQueryHash normalizedQueryHashKeepNames parseReadableSize parseReadableSizeOrNull
  parseReadableSizeOrZero parseTimeDelta rowNumberInAllBlocks rowNumberInBlock runningAccumulate
  runningDifference runningDifferenceStartingWithFirstValue throwIf toColumnTypeName toTypeName
  transform variantElement variantType visibleWidth
  `),
  "Random Number": words(`
  fuzzBits rand rand64 randBernoulli randBinomial randCanonical randChiSquared randConstant
  randExponential randFisherF randLogNormal randNegativeBinomial randNormal randPoisson
  randStudentT randUniform randomFixedString randomPrintableASCII randomString randomStringUTF8
  `),
  "Rounding": words(`
  ceil floor round roundAge roundBankers roundDown roundDuration roundToExp2 trunc
  `),
  "String": words(`
  CRC32 CRC32IEEE CRC64 appendTrailingCharIfAbsent ascii base32Decode base32Encode base58Decode
  base58Encode base64Decode base64Encode base64URLDecode base64URLEncode basename
  byteHammingDistance caseFoldUTF8 compareSubstrings concat concatAssumeInjective
  concatWithSeparator concatWithSeparatorAssumeInjective conv convertCharset
  damerauLevenshteinDistance decodeHTMLComponent decodeXMLComponent editDistance editDistanceUTF8
  encodeXMLComponent endsWith endsWithCaseInsensitive endsWithCaseInsensitiveUTF8 endsWithUTF8
  extractTextFromHTML firstLine initcap initcapUTF8 isValidASCII isValidUTF8 jaroSimilarity
  jaroWinklerSimilarity left leftPad leftPadUTF8 leftUTF8 lengthUTF8 lower lowerUTF8
  naturalSortKey normalizeUTF8NFC normalizeUTF8NFD normalizeUTF8NFKC normalizeUTF8NFKCCasefold
  normalizeUTF8NFKD regexpExtract regexpPosition removeDiacriticsUTF8 repeat reverseUTF8 right
  rightPad rightPadUTF8 rightUTF8 soundex space sparseGrams sparseGramsHashes
  sparseGramsHashesUTF8 sparseGramsUTF8 startsWith startsWithCaseInsensitive
  startsWithCaseInsensitiveUTF8 startsWithUTF8 stringBytesEntropy stringBytesUniq
  stringJaccardIndex stringJaccardIndexUTF8 substring substringIndex substringIndexUTF8
  substringUTF8 toValidUTF8 trimBoth trimLeft trimRight tryBase32Decode tryBase58Decode
  tryBase64Decode tryBase64URLDecode upper upperUTF8
  `),
  "String Replacement": words(`
  format overlay overlayUTF8 printf regexpQuoteMeta replaceAll replaceOne replaceRegexpAll
  replaceRegexpOne translate translateUTF8
  `),
  "String Search": words(`
  countMatches countMatchesCaseInsensitive countSubstrings countSubstringsCaseInsensitive
  countSubstringsCaseInsensitiveUTF8 extract extractAll extractAllGroupsHorizontal extractGroups
  hasAllTokens hasAnyTokens hasPhrase hasSubsequence hasSubsequenceCaseInsensitive
  hasSubsequenceCaseInsensitiveUTF8 hasSubsequenceUTF8 hasToken hasTokenCaseInsensitive
  hasTokenCaseInsensitiveOrNull hasTokenOrNull highlight ilike like locate match
  multiFuzzyMatchAllIndices multiFuzzyMatchAny multiFuzzyMatchAnyIndex multiMatchAllIndices
  multiMatchAny multiMatchAnyIndex multiSearchAllPositions multiSearchAllPositionsCaseInsensitive
  multiSearchAllPositionsCaseInsensitiveUTF8 multiSearchAllPositionsUTF8 multiSearchAny
  multiSearchAnyCaseInsensitive multiSearchAnyCaseInsensitiveUTF8 multiSearchAnyUTF8
  multiSearchFirstIndex multiSearchFirstIndexCaseInsensitive
  multiSearchFirstIndexCaseInsensitiveUTF8 multiSearchFirstIndexUTF8 multiSearchFirstPosition
  multiSearchFirstPositionCaseInsensitive multiSearchFirstPositionCaseInsensitiveUTF8
  multiSearchFirstPositionUTF8 ngramDistance ngramDistanceCaseInsensitive
  ngramDistanceCaseInsensitiveUTF8 ngramDistanceUTF8 ngramSearch ngramSearchCaseInsensitive
  ngramSearchCaseInsensitiveUTF8 ngramSearchUTF8 notILike notLike position positionCaseInsensitive
  positionCaseInsensitiveUTF8 positionUTF8
  `),
  "String Splitting": words(`
  alphaTokens arrayStringConcat extractAllGroupsVertical naiveBayesNgrams ngrams
  reverseBySeparator splitByChar splitByNonAlpha splitByRegexp splitByString splitByWhitespace
  tokens tokensForLikePattern
  `),
  "Tuple": words(`
  dotProduct flattenTuple tuple tupleConcat tupleDivide tupleDivideByNumber tupleElement
  tupleHammingDistance tupleIntDiv tupleIntDivByNumber tupleIntDivOrZero tupleIntDivOrZeroByNumber
  tupleMinus tupleModulo tupleModuloByNumber tupleMultiply tupleMultiplyByNumber tupleNames
  tupleNegate tuplePlus tuplePositiveModuloByNumber tupleToNameValuePairs
  `),
  "Type Conversion": words(`
  CAST DATE accurateCast accurateCastOrDefault accurateCastOrNull formatRow formatRowNoNewline
  fromUnixTimestamp64Micro fromUnixTimestamp64Milli fromUnixTimestamp64Nano
  fromUnixTimestamp64Second parseDateTime parseDateTime32BestEffort
  parseDateTime32BestEffortOrNull parseDateTime32BestEffortOrZero parseDateTime64
  parseDateTime64BestEffort parseDateTime64BestEffortOrNull parseDateTime64BestEffortOrZero
  parseDateTime64BestEffortUS parseDateTime64BestEffortUSOrNull parseDateTime64BestEffortUSOrZero
  parseDateTime64InJodaSyntax parseDateTime64InJodaSyntaxOrNull parseDateTime64InJodaSyntaxOrZero
  parseDateTime64OrNull parseDateTime64OrZero parseDateTimeBestEffort
  parseDateTimeBestEffortOrNull parseDateTimeBestEffortOrZero parseDateTimeBestEffortUS
  parseDateTimeBestEffortUSOrNull parseDateTimeBestEffortUSOrZero parseDateTimeInJodaSyntax
  parseDateTimeInJodaSyntaxOrNull parseDateTimeInJodaSyntaxOrZero parseDateTimeOrNull
  parseDateTimeOrZero reinterpret reinterpretAsDate reinterpretAsDateTime reinterpretAsFixedString
  reinterpretAsFloat32 reinterpretAsFloat64 reinterpretAsInt128 reinterpretAsInt16
  reinterpretAsInt256 reinterpretAsInt32 reinterpretAsInt64 reinterpretAsInt8 reinterpretAsString
  reinterpretAsUInt128 reinterpretAsUInt16 reinterpretAsUInt256 reinterpretAsUInt32
  reinterpretAsUInt64 reinterpretAsUInt8 reinterpretAsUUID toBFloat16 toBFloat16OrNull
  toBFloat16OrZero toBool toDate toDate32 toDate32OrDefault toDate32OrNull toDate32OrZero
  toDateOrDefault toDateOrNull toDateOrZero toDateTime toDateTime32 toDateTime64
  toDateTime64OrDefault toDateTime64OrNull toDateTime64OrZero toDateTimeOrDefault toDateTimeOrNull
  toDateTimeOrZero toDecimal128 toDecimal128OrDefault toDecimal128OrNull toDecimal128OrZero
  toDecimal256 toDecimal256OrDefault toDecimal256OrNull toDecimal256OrZero toDecimal32
  toDecimal32OrDefault toDecimal32OrNull toDecimal32OrZero toDecimal64 toDecimal64OrDefault
  toDecimal64OrNull toDecimal64OrZero toDecimalString toFixedString toFloat32 toFloat32OrDefault
  toFloat32OrNull toFloat32OrZero toFloat64 toFloat64OrDefault toFloat64OrNull toFloat64OrZero
  toInt128 toInt128OrDefault toInt128OrNull toInt128OrZero toInt16 toInt16OrDefault toInt16OrNull
  toInt16OrZero toInt256 toInt256OrDefault toInt256OrNull toInt256OrZero toInt32 toInt32OrDefault
  toInt32OrNull toInt32OrZero toInt64 toInt64OrDefault toInt64OrNull toInt64OrZero toInt8
  toInt8OrDefault toInt8OrNull toInt8OrZero toInterval toIntervalDay toIntervalHour
  toIntervalMicrosecond toIntervalMillisecond toIntervalMinute toIntervalMonth
  toIntervalNanosecond toIntervalQuarter toIntervalSecond toIntervalWeek toIntervalYear
  toLowCardinality toString toStringCutToZero toTime toTime64 toTime64OrNull toTime64OrZero
  toTimeOrNull toTimeOrZero toUInt128 toUInt128OrDefault toUInt128OrNull toUInt128OrZero toUInt16
  toUInt16OrDefault toUInt16OrNull toUInt16OrZero toUInt256 toUInt256OrDefault toUInt256OrNull
  toUInt256OrZero toUInt32 toUInt32OrDefault toUInt32OrNull toUInt32OrZero toUInt64
  toUInt64OrDefault toUInt64OrNull toUInt64OrZero toUInt8 toUInt8OrDefault toUInt8OrNull
  toUInt8OrZero toUUID toUUIDOrZero toUnixTimestamp64Micro toUnixTimestamp64Milli
  toUnixTimestamp64Nano toUnixTimestamp64Second
  `),
  "URL": words(`
  URLHierarchy URLPathHierarchy cutFragment cutQueryString cutQueryStringAndFragment
  cutToFirstSignificantSubdomain cutToFirstSignificantSubdomainCustom
  cutToFirstSignificantSubdomainCustomRFC cutToFirstSignificantSubdomainCustomWithWWW
  cutToFirstSignificantSubdomainCustomWithWWWRFC cutToFirstSignificantSubdomainRFC
  cutToFirstSignificantSubdomainWithWWW cutToFirstSignificantSubdomainWithWWWRFC cutURLParameter
  cutWWW decodeURLComponent decodeURLFormComponent domain domainRFC domainWithoutWWW
  domainWithoutWWWRFC encodeURLComponent encodeURLFormComponent extractURLParameter
  extractURLParameterNames extractURLParameters firstSignificantSubdomain
  firstSignificantSubdomainCustom firstSignificantSubdomainCustomRFC firstSignificantSubdomainRFC
  fragment netloc path pathFull port portRFC protocol queryString queryStringAndFragment
  topLevelDomain topLevelDomainRFC
  `),
  "UUID": words(`
  UUIDNumToString UUIDStringToNum UUIDToNum UUIDv7ToDateTime dateTime64ToSnowflakeID
  dateTimeToSnowflakeID dateTimeToUUIDv7 generateSnowflakeID generateUUIDv4 generateUUIDv7
  snowflakeIDToDateTime snowflakeIDToDateTime64 toUUIDOrDefault toUUIDOrNull
  `),
};

/** Other names ClickHouse gives the functions above (its alias_to), e.g. substr, DATE_TRUNC. */
export const FUNCTION_ALIASES: readonly string[] = words(`
  BIT_AND BIT_OR BIT_XOR CARDINALITY CHARACTER_LENGTH CHAR_LENGTH COVAR_POP COVAR_SAMP DATABASE
  DATE_DIFF DATE_FORMAT DATE_TRUNC DAY DAYOFMONTH DAYOFWEEK DAYOFYEAR FORMAT_BYTES FROM_BASE64
  FROM_DAYS FROM_UNIXTIME HOUR INET6_ATON INET6_NTOA INET_ATON INET_NTOA JSON_ARRAY_LENGTH
  LAST_DAY MAP_FROM_ARRAYS MICROSECOND MILLISECOND MINUTE MONTH NANOSECOND NATURAL_SORT_KEY
  OCTET_LENGTH QUARTER REGEXP_EXTRACT REGEXP_MATCHES REGEXP_REPLACE REGEXP_SUBSTR SCHEMA SECOND
  STD STDDEV STDDEV_POP STDDEV_SAMP SUBSTRING_INDEX SVG TIMESTAMP_DIFF TO_BASE64 TO_DAYS
  TO_UNIXTIME UTC_timestamp VAR_POP VAR_SAMP WKB WKT YEAR anova anyLastRespectNulls
  anyRespectNulls anyValueRespectNulls any_value any_value_respect_nulls approx_top_count arrayAUC
  arrayPRAUC array_agg array_remove array_to_string byteSlice caseWithExpr caseWithoutExpr
  caseWithoutExpression ceiling concat_ws curdate current_database current_date current_timestamp
  date_bin date_diff dense_rank distanceCosine distanceCosineTransposed distanceL1 distanceL2
  distanceL2Squared distanceL2Transposed distanceLinf distanceLp extractAllGroups
  firstValueRespectNulls first_value first_value_respect_nulls flatten from_utc_timestamp
  group_concat hasAllToken hasAnyToken instr isASCII jsonMergePatch lastValueRespectNulls
  last_value last_value_respect_nulls lcase levenshteinDistance levenshteinDistanceUTF8 ln
  localtimestamp lpad ltrim lttb mapContains mapFromString matchPhrase max_by median
  medianBFloat16 medianBFloat16Weighted medianDD medianDeterministic medianExact medianExactHigh
  medianExactLow medianExactWeighted medianExactWeightedInterpolated medianGK
  medianInterpolatedWeighted medianTDigest medianTDigestWeighted medianTiming medianTimingWeighted
  mid minSampleSizeContinous min_by mismatches mod modOrNull normL1 normL2 normL2Squared normLinf
  normLp normalizeL1 normalizeL2 normalizeLinf normalizeLp percent_rank pmod pmodOrNull
  positive_modulo positive_modulo_or_null power rand32 readWkb readWkt regexpInstr regexp_instr
  removeAccentsUTF8 replace rpad rtrim scalarProduct scalarProductTransposed serverTimeZone
  sparkBar splitByAlpha sqid str_to_date str_to_map string_agg substr timeSeriesLastToGrid
  timeZone timeZoneOf timeZoneOffset time_bucket timestampDiff timestamp_diff toStartOfFiveMinute
  toTimeZone to_utc_timestamp trim truncate ucase unnest vectorDifference vectorSum
  visitParamExtractBool visitParamExtractFloat visitParamExtractInt visitParamExtractRaw
  visitParamExtractString visitParamExtractUInt visitParamHas week width_bucket
  yandexConsistentHash yearweek
`);

/** Names ClickHouse accepts in any case (COUNT, Sum, lower…), lower-cased. */
export const CASE_INSENSITIVE: readonly string[] = words(`
  _cast abs acos adddate age analysisofvariance anova any_value any_value_respect_nulls
  approx_top_count approx_top_k approx_top_sum array_agg array_remove array_to_string
  arraypartialshuffle arrayshuffle ascii asin atan atan2 avg avg2 bin bit_and bit_or bit_xor
  byteslice byteswap cardinality cast ceil ceiling char char_length character_length coalesce
  concat concat_ws corr cos count countsubstrings covar_pop covar_samp crc32 crc32ieee crc64
  curdate current_database current_date current_timestamp database date date_bin date_format
  date_trunc datediff datename day dayofmonth dayofweek dayofyear degrees dense_rank
  distancecosine distancecosinetransposed distancel1 distancel2 distancel2squared
  distancel2transposed distancelinf distancelp exp factorial first_value first_value_respect_nulls
  firstnondefault flatten floor format_bytes from_base64 from_days from_unixtime
  from_utc_timestamp greatest group_concat hassubsequence hassubsequencecaseinsensitive
  hassubsequencecaseinsensitiveutf8 hassubsequenceutf8 hastokencaseinsensitive
  hastokencaseinsensitiveornull hex hour hypot if ifnull inet6_aton inet6_ntoa inet_aton inet_ntoa
  initcap instr isnull json_array_length kolmogorovsmirnovtest lag last_day last_value
  last_value_respect_nulls lcase lead least left length ln localtime localtimestamp locate log
  log10 log2 lower lpad makedate makedate32 makedatetime makedatetime64 max max2 max_by
  microsecond mid midpoint millisecond min min2 min_by minute mod modornull month monthname
  nanosecond natural_sort_key normalizel1 normalizel2 normalizelinf normalizelp norml1 norml2
  norml2squared normlinf normlp not now now64 nth_value ntile nullif octet_length overlay
  percent_rank pi pmod pmodornull position positive_modulo positive_modulo_or_null positivemodulo
  positivemoduloornull pow power quarter radians rand rank regexp_extract regexp_instr
  regexp_matches regexp_replace regexp_substr regexpinstr repeat replace reverse right round
  row_number rpad scalarproduct scalarproducttransposed schema second sign sin soundex space sqr
  sqrt std stddev stddev_pop stddev_samp str_to_date str_to_map string_agg subdate substr
  substring substring_index sum tan tanh time_bucket timediff timestamp timezone to_base64 to_days
  to_unixtime to_utc_timestamp today todecimalstring trunc truncate ucase unbin unhex unnest upper
  utc_timestamp utctimestamp var_pop var_samp vectordifference vectorsum week width_bucket year
  yearweek yyyymmddhhmmsstodatetime yyyymmddtodate yyyymmddtodate32
`);

/** The aggregate (and window) functions among the above: the only bases combinators extend. */
export const AGGREGATE_FUNCTIONS: readonly string[] = words(`
  BIT_AND BIT_OR BIT_XOR COVAR_POP COVAR_SAMP STD STDDEV STDDEV_POP STDDEV_SAMP VAR_POP VAR_SAMP
  analysisOfVariance anova any anyHeavy anyLast anyLastRespectNulls anyLast_respect_nulls
  anyRespectNulls anyValueRespectNulls any_respect_nulls any_value any_value_respect_nulls
  approx_top_count approx_top_k approx_top_sum argAndMax argAndMin argMax argMin array_agg avg
  avgWeighted boundingRatio categoricalInformationValue contingency corr corrMatrix corrStable
  count covarPop covarPopMatrix covarPopStable covarSamp covarSampMatrix covarSampStable cramersV
  cramersVBiasCorrected cume_dist deltaSum deltaSumTimestamp denseRank dense_rank
  distinctDynamicTypes distinctJSONPaths distinctJSONPathsAndTypes entropy
  estimateCompressionRatio exponentialMovingAverage exponentialTimeDecayedAvg
  exponentialTimeDecayedCount exponentialTimeDecayedMax exponentialTimeDecayedSum
  firstValueRespectNulls first_value first_value_respect_nulls flameGraph groupArray
  groupArrayInsertAt groupArrayIntersect groupArrayLast groupArrayMovingAvg groupArrayMovingSum
  groupArraySample groupArraySorted groupBitAnd groupBitOr groupBitXor groupBitmap groupBitmapAnd
  groupBitmapOr groupBitmapXor groupConcat groupFormat groupNumericIndexedVector groupUniqArray
  group_concat histogram intervalLengthSum kolmogorovSmirnovTest kurtPop kurtSamp lag lagInFrame
  largestTriangleThreeBuckets lastValueRespectNulls last_value last_value_respect_nulls lead
  leadInFrame lttb mannWhitneyUTest max maxIntersections maxIntersectionsPosition maxMappedArrays
  max_by meanZTest median medianBFloat16 medianBFloat16Weighted medianDD medianDeterministic
  medianExact medianExactHigh medianExactLow medianExactWeighted medianExactWeightedInterpolated
  medianGK medianInterpolatedWeighted medianTDigest medianTDigestWeighted medianTiming
  medianTimingWeighted min minMappedArrays min_by nonNegativeDerivative nothing nothingNull
  nothingUInt64 nth_value ntile percentRank percent_rank quantile quantileBFloat16
  quantileBFloat16Weighted quantileDD quantileDeterministic quantileExact quantileExactExclusive
  quantileExactHigh quantileExactInclusive quantileExactLow quantileExactWeighted
  quantileExactWeightedInterpolated quantileGK quantileInterpolatedWeighted
  quantilePrometheusHistogram quantileTDigest quantileTDigestWeighted quantileTiming
  quantileTimingWeighted quantiles quantilesBFloat16 quantilesBFloat16Weighted quantilesDD
  quantilesDeterministic quantilesExact quantilesExactExclusive quantilesExactHigh
  quantilesExactInclusive quantilesExactLow quantilesExactWeighted
  quantilesExactWeightedInterpolated quantilesGK quantilesInterpolatedWeighted
  quantilesPrometheusHistogram quantilesTDigest quantilesTDigestWeighted quantilesTiming
  quantilesTimingWeighted rank rankCorr retention row_number sequenceCount sequenceMatch
  sequenceMatchEvents sequenceNextNode simpleLinearRegression singleValueOrNull skewPop skewSamp
  sparkBar sparkbar stddevPop stddevPopStable stddevSamp stddevSampStable string_agg studentTTest
  studentTTestOneSample sum sumCount sumKahan sumMapFiltered sumMapFilteredWithOverflow
  sumMapWithOverflow sumMappedArrays sumWithOverflow theilsU timeSeriesChangesToGrid
  timeSeriesDeltaToGrid timeSeriesDerivToGrid timeSeriesGroupArray timeSeriesIncreaseToGrid
  timeSeriesInstantDeltaToGrid timeSeriesInstantRateToGrid timeSeriesLastToGrid
  timeSeriesLastTwoSamples timeSeriesPredictLinearToGrid timeSeriesRateToGrid
  timeSeriesResampleToGridWithStaleness timeSeriesResetsToGrid topK topKWeighted uniq uniqCombined
  uniqCombined64 uniqExact uniqHLL12 uniqUpTo varPop varPopStable varSamp varSampStable welchTTest
  windowFunnel
`);
