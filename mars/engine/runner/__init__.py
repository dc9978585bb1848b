from .availability_test_loop import ModalityAvailabilityTestLoop

__all__ = ['ModalityAvailabilityTestLoop']
