package gibbon.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.EOFException;
import org.junit.jupiter.api.Test;

/** The one line of an engine error that says what went wrong. */
class TorchErrorsTest {
    @Test
    void aTorchScriptTracebackGivesItsLastErrorLine() {
        String message = """
                The following operation failed in the TorchScript interpreter.
                Traceback of TorchScript, serialized code (most recent call last):
                  File "code/__torch__.py", line 12, in forward
                    input = torch.linear(x, weight, bias)
                RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x3072 and 784x10)
                """;
        assertEquals("mat1 and mat2 shapes cannot be multiplied (1x3072 and 784x10)",
                TorchErrors.reason(new RuntimeException(message)));
    }

    @Test
    void otherMessagesGiveTheirFirstLine() {
        assertEquals("first", TorchErrors.reason(new RuntimeException("\n  first  \nsecond")));
    }

    @Test
    void anExceptionWithoutMessageIsNamed() {
        assertEquals("the file ends early", TorchErrors.reason(new EOFException()));
        assertEquals("IllegalStateException", TorchErrors.reason(new IllegalStateException()));
    }
}
