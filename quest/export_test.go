package quest

// Unexported helpers the external tests (package quest_test) check.
var (
	FailureKey = failureKey
	Last4      = last4
	MaskKnown  = maskKnown
)
